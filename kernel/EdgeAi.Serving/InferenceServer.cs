using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeAi.Core;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace EdgeAi.Serving;

/// <summary>
/// <c>edgeai serve</c>: the Open Inference Protocol (v2) over HTTP/1.1 on Kestrel, for one model of the store.
/// Paths and JSON are the protocol's (KServe's and Triton's), so their clients work unchanged; a PNG upload path is
/// added for a person with curl. Every path but the two health checks needs the bearer token.
/// </summary>
public sealed class InferenceServer : IAsyncDisposable
{
    public const string ServerName = "edgeai";
    readonly ServeSettings settings;
    readonly ServeMetrics metrics = new();
    readonly ModelFollower follower;
    readonly DynamicBatcher batcher;
    readonly WebApplication app;
    readonly byte[]? token;
    readonly Action<string> log;
    readonly CancellationTokenSource stopping = new();
    Task? following;

    public InferenceServer(ServeSettings settings, Action<string> log)
    {
        settings.Validate();
        (this.settings, this.log) = (settings, log);
        token = settings.NoAuth ? null : Encoding.ASCII.GetBytes("Bearer " + settings.Token);
        follower = new ModelFollower(settings, metrics, log);
        batcher = new DynamicBatcher(settings.MaxBatch, images => metrics.BatchImages.Observe(images));
        // libtorch's own thread pool would split one request's small products across cores that other requests are
        // using: requests run in parallel instead, one thread each.
        Core.Native.TorchNative.EnsureLoaded();   // both runtimes load and verify the version through libtorch
        TorchSharp.torch.set_num_threads(1);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
               .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);   // a failed bind is reported once, by StartAsync's message
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.MaxBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 << 10;
            kestrel.Limits.MaxConcurrentConnections = 4096;
            if (settings.Host == "localhost")
                kestrel.ListenLocalhost(settings.Port);
            else
                kestrel.Listen(IPAddress.Parse(settings.Host), settings.Port);
        });
        app = builder.Build();
        app.Use(Measured);
        app.Use(Authorized);
        Map(app);
    }

    public ModelFollower Follower => follower;

    /// <summary>Listens, then follows the store until <see cref="StopAsync"/> or the host's shutdown (SIGTERM, Ctrl-C).</summary>
    public async Task StartAsync()
    {
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new EdgeAiException($"Cannot listen on {settings.Host}:{settings.Port}: {e.Message}", e);
        }
        following = Task.Run(() => follower.FollowAsync(stopping.Token));
        log($"listening on http://{(settings.Host.Contains(':') ? $"[{settings.Host}]" : settings.Host)}:{settings.Port}/v2/models/{settings.Model.Name} " +
            $"({(settings.Pinned ? $"pinned to {settings.Model}" : $"following {settings.Model.Name}@latest in {settings.Store.Root} every {settings.PollSeconds:0.###} s")}, " +
            $"runtime {settings.Runtime.ToString().ToLowerInvariant()}, {(settings.NoAuth ? "no token: loopback only" : "bearer token required")})");
    }

    public Task WaitForShutdownAsync(CancellationToken cancel) => app.WaitForShutdownAsync(cancel);

    public async Task StopAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        if (following is not null)
            try
            { await following.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        await app.StopAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        follower.Dispose();
        stopping.Dispose();
    }

    void Map(WebApplication routes)
    {
        routes.MapGet("/v2/health/live", context => Json(context, 200, w => w.WriteBoolean("live", true)));
        routes.MapGet("/v2/health/ready", context => Ready(context, null));
        routes.MapGet("/v2", context => Json(context, 200, w =>
        {
            w.WriteString("name", ServerName);
            w.WriteString("version", typeof(InferenceServer).Assembly.GetName().Version?.ToString(3));
            w.WriteStartArray("extensions");
            w.WriteStringValue("edgeai_png");
            w.WriteEndArray();
        }));
        routes.MapGet("/v2/models/{name}", context => Metadata(context, Name(context), null));
        routes.MapGet("/v2/models/{name}/versions/{version}", context => Metadata(context, Name(context), Version(context)));
        routes.MapGet("/v2/models/{name}/ready", context => Ready(context, Name(context)));
        routes.MapGet("/v2/models/{name}/versions/{version}/ready", context => Ready(context, Name(context), Version(context)));
        routes.MapPost("/v2/models/{name}/infer", context => Infer(context, Name(context), null, png: false));
        routes.MapPost("/v2/models/{name}/versions/{version}/infer", context => Infer(context, Name(context), Version(context), png: false));
        routes.MapPost("/v2/models/{name}/infer/png", context => Infer(context, Name(context), null, png: true));
        routes.MapPost("/v2/models/{name}/versions/{version}/infer/png", context => Infer(context, Name(context), Version(context), png: true));
        routes.MapMetrics("/metrics", metrics.Registry);
        routes.MapFallback(context => throw OipError.NotFound($"No such path: {context.Request.Method} {Printable.Of(context.Request.Path.Value)}. " +
                                                           $"This server answers /v2/health/ready, /v2/models/{settings.Model.Name} and /v2/models/{settings.Model.Name}/infer."));
    }

    /// <summary>The model name of the path, checked as the store checks names; only the served model is found.</summary>
    string Name(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        try
        {
            ModelRef.ValidateName(name);
        }
        catch (EdgeAiException e)
        {
            throw OipError.BadRequest(e.Message);
        }
        if (name != settings.Model.Name)
            throw OipError.NotFound($"Model '{name}' is not served here; this server serves '{settings.Model.Name}'.");
        return name;
    }

    static int Version(HttpContext context)
    {
        var text = (string)context.Request.RouteValues["version"]!;
        var digits = text.StartsWith('v') ? text[1..] : text;
        if (!int.TryParse(digits, System.Globalization.NumberStyles.None, null, out var version) || version is < 1 or > WeightStore.MaxVersion)
            throw OipError.BadRequest($"Version '{Printable.Of(text)}' is not valid: use a whole number 1-{WeightStore.MaxVersion} (e.g. 3 or v3).");
        return version;
    }

    Task Ready(HttpContext context, string? name, int? version = null)
    {
        var current = follower.Current;
        var ready = version is { } v ? follower.Versions.Contains(v) || current?.Version == v : current is not null;
        return Json(context, ready ? 200 : 503, w =>
        {
            if (name is not null)
                w.WriteString("name", name);
            w.WriteBoolean("ready", ready);
            if (!ready && version is null)
                w.WriteString("error", follower.Problem ?? "No version is loaded yet.");
        });
    }

    Task Metadata(HttpContext context, string name, int? version)
    {
        var current = follower.Current;
        if (version is { } v && current?.Version != v && !follower.Versions.Contains(v))
            throw OipError.NotFound($"Model '{name}' has no version {v}; versions: {string.Join(", ", follower.Versions)}.");
        return Json(context, 200, w =>
        {
            w.WriteString("name", name);
            w.WriteStartArray("versions");
            foreach (var listed in version is { } one ? new[] { one } : follower.Versions)
                w.WriteStringValue(listed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndArray();
            w.WriteString("platform", settings.Runtime == ServingRuntime.Onnx ? "onnxruntime" : "torchsharp");
            w.WriteStartArray("inputs");
            Tensor(w, InferenceRequest.InputName, "FP32", MnistMlp.Inputs);
            w.WriteEndArray();
            w.WriteStartArray("outputs");
            Tensor(w, InferenceRequest.ProbabilitiesName, "FP32", MnistMlp.Classes);
            Tensor(w, InferenceRequest.LabelName, "INT64", null);
            w.WriteEndArray();
            // What the protocol has no field for: which version answers, whether it follows, and what was refused.
            w.WriteStartObject("edgeai");
            if (current is not null)
            {
                w.WriteString("serving_version", current.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("weights_sha256", current.Manifest.WeightsSha256);
            }
            w.WriteString("follows", settings.Pinned ? $"{settings.Model} (pinned)" : "latest");
            w.WriteStartArray("input_datatypes");
            w.WriteStringValue("FP32");
            w.WriteStringValue("UINT8");
            w.WriteEndArray();
            w.WriteNumber("max_batch", settings.MaxBatch);
            w.WriteNumber("swaps", follower.Swaps);
            if (follower.Problem is { } problem)
                w.WriteString("problem", problem);
            w.WriteStartArray("refused");
            foreach (var refused in follower.Refused)
            {
                w.WriteStartObject();
                w.WriteString("version", refused.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("reason", refused.Reason);
                w.WriteString("at", refused.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

        static void Tensor(Utf8JsonWriter w, string name, string datatype, int? width)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("datatype", datatype);
            w.WriteStartArray("shape");
            w.WriteNumberValue(-1);
            if (width is { } n)
                w.WriteNumberValue(n);
            w.WriteEndArray();
            w.WriteEndObject();
        }
    }

    async Task Infer(HttpContext context, string name, int? version, bool png)
    {
        var body = await Body(context.Request).ConfigureAwait(false);
        InferenceRequest request = png
            ? new InferenceRequest(null, 1, PngInput.Pixels(body, context.Request.Query["invert"]), null, Outputs.Both)
            : InferenceRequest.Parse(body, settings.MaxBatch);
        using var lease = version is { } v ? follower.AcquireVersion(v)
            : follower.AcquireCurrent() ?? throw OipError.Unavailable(follower.Problem ?? "No version is loaded yet; /v2/health/ready says when one is.");
        var model = lease.Model;
        var probabilities = await batcher.Probabilities(model, request.Pixels, request.Scaled, request.Count).ConfigureAwait(false);
        metrics.Images.Inc(request.Count);
        await Json(context, 200, w =>
        {
            w.WriteString("model_name", name);
            w.WriteString("model_version", model.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (request.Id is not null)
                w.WriteString("id", request.Id);
            w.WriteStartArray("outputs");
            if (request.Outputs.HasFlag(Outputs.Probabilities))
            {
                OutputHeader(w, InferenceRequest.ProbabilitiesName, "FP32", request.Count, MnistMlp.Classes);
                foreach (var p in probabilities)
                    w.WriteNumberValue(p);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            if (request.Outputs.HasFlag(Outputs.Label))
            {
                OutputHeader(w, InferenceRequest.LabelName, "INT64", request.Count, null);
                for (var row = 0; row < request.Count; row++)
                {
                    var span = probabilities.AsSpan(row * MnistMlp.Classes, MnistMlp.Classes);
                    w.WriteNumberValue(span.IndexOf(TensorMax(span)));
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }).ConfigureAwait(false);

        static float TensorMax(ReadOnlySpan<float> values)
        {
            var max = values[0];
            foreach (var value in values)
                if (value > max)
                    max = value;
            return max;
        }

        static void OutputHeader(Utf8JsonWriter w, string name, string datatype, int count, int? width)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("datatype", datatype);
            w.WriteStartArray("shape");
            w.WriteNumberValue(count);
            if (width is { } n)
                w.WriteNumberValue(n);
            w.WriteEndArray();
            w.WriteStartArray("data");
        }
    }

    /// <summary>The whole body, at most --max-body bytes (Kestrel stops a longer one as it arrives).</summary>
    async Task<byte[]> Body(HttpRequest request)
    {
        if (request.ContentLength > settings.MaxBodyBytes)
            throw TooLarge(request.ContentLength.Value);
        if (request.ContentLength is { } known)
        {
            var exact = new byte[known];
            await request.Body.ReadExactlyAsync(exact).ConfigureAwait(false);
            return exact;
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }

    OipError TooLarge(long bytes) =>
        OipError.TooLarge($"The body has {bytes} bytes; this server takes at most {settings.MaxBodyBytes} (--max-body), and {settings.MaxBatch} images a request (--max-batch).");

    // Quotes and apostrophes as they are: the body is application/json, never HTML.
    static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static async Task Json(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
    }

    /// <summary>Every path but the health checks needs <c>Authorization: Bearer TOKEN</c>, compared in constant time.</summary>
    async Task Authorized(HttpContext context, RequestDelegate next)
    {
        if (token is null || context.Request.Path.StartsWithSegments("/v2/health"))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        var given = context.Request.Headers.Authorization.ToString();
        var bytes = Encoding.ASCII.GetBytes(given);
        if (bytes.Length != token.Length || !CryptographicOperations.FixedTimeEquals(bytes, token))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"edgeai\"";
            throw new OipError(401, given.Length == 0
                ? "This server needs a token: send the header 'Authorization: Bearer TOKEN' (the token edgeai serve printed, or its --token-file / " + ServeSettings.TokenVariable + ")."
                : "The bearer token is not this server's.");
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>Counts and times every request, and turns every refusal into the protocol's error body. An error this
    /// server did not expect is logged and answered 500; the server goes on.</summary>
    async Task Measured(HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var (status, message) = e switch
            {
                OipError oip => (oip.Status, oip.Message),
                Microsoft.AspNetCore.Http.BadHttpRequestException { StatusCode: 413 } => (413, TooLarge(settings.MaxBodyBytes + 1).Message),
                Microsoft.AspNetCore.Http.BadHttpRequestException bad => (bad.StatusCode, $"The request could not be read: {bad.Message}"),
                _ => (500, "The server failed on this request; it goes on serving. (" + e.GetType().Name + ")"),
            };
            if (status == 500)
                log($"error on {context.Request.Method} {Printable.Of(context.Request.Path.Value)}: {e}");
            await Json(context, status, w => w.WriteString("error", message)).ConfigureAwait(false);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
        }
        var endpoint = EndpointOf(context.Request.Path);
        metrics.Requests.WithLabels(endpoint, StatusText(context.Response.StatusCode)).Inc();
        metrics.Latency.WithLabels(endpoint).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    static string EndpointOf(PathString path)
    {
        var value = path.Value ?? "";
        if (value.EndsWith("/infer/png", StringComparison.Ordinal))
            return "infer_png";
        if (value.EndsWith("/infer", StringComparison.Ordinal))
            return "infer";
        if (value.StartsWith("/v2/health", StringComparison.Ordinal))
            return "health";
        if (value.EndsWith("/ready", StringComparison.Ordinal))
            return "model_ready";
        if (value.StartsWith("/v2/models/", StringComparison.Ordinal))
            return "metadata";
        if (value == "/metrics")
            return "metrics";
        if (value == "/v2")
            return "server";
        return "other";
    }

    static readonly string[] StatusTexts = Enumerable.Range(0, 600).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    static string StatusText(int status) => status is >= 0 and < 600 ? StatusTexts[status] : "other";
}
