namespace EdgeAi.Core;

/// <summary>
/// A failure a user can act on. The message is one complete paragraph that names the bad value and
/// what is allowed; front ends (notebook magics, CLI) show it as it is, without a stack trace.
/// </summary>
public class EdgeAiException(string message, Exception? inner = null) : Exception(message, inner);
