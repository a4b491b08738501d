namespace EdgeAi.Serving;

/// <summary>A request the server refuses: its HTTP status and the message of the Open Inference Protocol's
/// <c>{"error": "..."}</c> body. Messages name the value and what is allowed.</summary>
public sealed class OipError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static OipError BadRequest(string message) => new(400, message);
    public static OipError NotFound(string message) => new(404, message);
    public static OipError TooLarge(string message) => new(413, message);
    public static OipError Unavailable(string message) => new(503, message);
}
