using System.Net;
using System.Text;

namespace EdgeAi.Interactive.Tests.Cluster;

/// <summary>
/// An API server stand-in on 127.0.0.1 (no other address listens): records each request and answers what the test's
/// <c>answer</c> says for it, the Kubernetes way (JSON, a Status on errors).
/// </summary>
sealed class StandInApiServer : IDisposable
{
    public sealed record Request(string Method, string Path, string Query, string Body);

    readonly HttpListener listener = new();
    readonly List<Request> requests = [];
    public string Url { get; }

    public IReadOnlyList<Request> Requests
    {
        get
        {
            lock (requests)
                return [.. requests];
        }
    }

    public StandInApiServer(Func<Request, (HttpStatusCode Status, string Body)> answer)
    {
        Url = $"http://127.0.0.1:{Ports.Free()}/";
        listener.Prefixes.Add(Url);
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                { context = await listener.GetContextAsync(); }
                catch { return; }
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var request = new Request(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.Url.Query, await reader.ReadToEndAsync());
                lock (requests)
                    requests.Add(request);
                var (status, body) = answer(request);
                context.Response.StatusCode = (int)status;
                context.Response.ContentType = "application/json";
                var bytes = Encoding.UTF8.GetBytes(body);
                try
                {
                    await context.Response.OutputStream.WriteAsync(bytes);
                    context.Response.Close();
                }
                catch (Exception) { context.Response.Abort(); }   // the client stopped reading (an over-long reply)
            }
        });
    }

    /// <summary>A Status as the API server sends with an error.</summary>
    public static string Status(HttpStatusCode code, string reason, string message) =>
        System.Text.Json.JsonSerializer.Serialize(new { kind = "Status", apiVersion = "v1", metadata = new { }, status = "Failure", message, reason, code = (int)code });

    public void Dispose() => listener.Close();
}
