using System.Net;
using EdgeAi.Core;
using EdgeAi.Core.Store;

namespace EdgeAi.Serving;

/// <summary>Which engine computes the probabilities: TorchSharp's libtorch (the model as trained) or ONNX Runtime
/// (the model as <c>edgeai export</c> writes it).</summary>
public enum ServingRuntime { Torch, Onnx }

/// <summary>What <c>edgeai serve</c> was asked for, checked before anything listens.</summary>
public sealed record ServeSettings
{
    public const string TokenVariable = "EDGEAI_SERVE_TOKEN";
    public const int DefaultPort = 8080, MinTokenLength = 16;
    public const int MaxBatchLimit = 4096, DefaultMaxBatch = 256;
    public const long DefaultMaxBodyBytes = 4 << 20, MaxBodyBytesLimit = 64 << 20;
    public const double DefaultPollSeconds = 1, MinPollSeconds = 0.05, MaxPollSeconds = 3600;
    public static readonly IReadOnlyList<string> RuntimeNames = ["torch", "onnx"];

    /// <summary>The model served, and with a version, pinned to it (latest is never followed then).</summary>
    public required ModelRef Model { get; init; }
    public required WeightStore Store { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = DefaultPort;
    public ServingRuntime Runtime { get; init; } = ServingRuntime.Torch;
    /// <summary>The bearer token every model endpoint and /metrics require; null only with <see cref="NoAuth"/>.</summary>
    public string? Token { get; init; }
    public bool NoAuth { get; init; }
    public double PollSeconds { get; init; } = DefaultPollSeconds;
    public int MaxBatch { get; init; } = DefaultMaxBatch;
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    public bool Pinned => Model.Version is not null;

    public static ServingRuntime ParseRuntime(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "torch" => ServingRuntime.Torch,
        "onnx" => ServingRuntime.Onnx,
        _ => throw new EdgeAiException($"--runtime '{text}' is not known: use {string.Join(" or ", RuntimeNames)}."),
    };

    /// <summary>The token from <paramref name="tokenFile"/> (a mounted Secret), else <see cref="TokenVariable"/>, else
    /// null (the caller generates one). A file or variable that holds an empty or short token is an error, never
    /// "no authentication".</summary>
    public static string? ReadToken(string? tokenFile, string? fromEnvironment)
    {
        string? token = null, source = null;
        if (!string.IsNullOrEmpty(tokenFile))
        {
            try
            {
                var info = new FileInfo(tokenFile);
                if (info.Exists && info.Length > 4096)
                    throw new EdgeAiException($"--token-file {tokenFile} is {info.Length} bytes; a token is at most 4096.");
                token = File.ReadAllText(tokenFile).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new EdgeAiException($"--token-file {tokenFile} cannot be read: {e.Message}", e);
            }
            source = $"--token-file {tokenFile}";
        }
        else if (fromEnvironment is not null)
            (token, source) = (fromEnvironment.Trim(), TokenVariable);
        if (token is null)
            return null;
        if (token.Length < MinTokenLength)
            throw new EdgeAiException($"The token from {source} has {token.Length} characters; use at least {MinTokenLength} " +
                                      "(e.g. openssl rand -hex 32). An empty token never turns authentication off: --no-auth does, on loopback only.");
        if (token.Any(c => c <= ' ' || c > '~'))
            throw new EdgeAiException($"The token from {source} holds a space or a character outside printable ASCII; an HTTP header cannot carry it.");
        return token;
    }

    /// <summary>A random token (256 bits, hex) for a server started without one.</summary>
    public static string NewToken() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public void Validate()
    {
        if (Port is < 1 or > 65535)
            throw new EdgeAiException($"--port {Port} is outside 1-65535.");
        if (!IsListenable(Host))
            throw new EdgeAiException($"--host '{Host}' is not an IP address or 'localhost' (e.g. 127.0.0.1, or 0.0.0.0 for every interface).");
        if (NoAuth && !IsLoopback(Host))
            throw new EdgeAiException($"--no-auth serves without a token, so only on loopback: --host {Host} is not a loopback address (use 127.0.0.1, ::1 or localhost, or drop --no-auth).");
        if (!NoAuth && string.IsNullOrEmpty(Token))
            throw new EdgeAiException("No token: set --token-file, " + TokenVariable + ", or let the server generate one.");
        if (double.IsNaN(PollSeconds) || PollSeconds < MinPollSeconds || PollSeconds > MaxPollSeconds)
            throw new EdgeAiException($"--poll {PollSeconds} is outside {MinPollSeconds}-{MaxPollSeconds} seconds.");
        if (MaxBatch is < 1 or > MaxBatchLimit)
            throw new EdgeAiException($"--max-batch {MaxBatch} is outside 1-{MaxBatchLimit} images.");
        if (MaxBodyBytes < 1024 || MaxBodyBytes > MaxBodyBytesLimit)
            throw new EdgeAiException($"--max-body {MaxBodyBytes} is outside 1024-{MaxBodyBytesLimit} bytes.");
    }

    public static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    static bool IsListenable(string host) => host == "localhost" || IPAddress.TryParse(host, out _);
}
