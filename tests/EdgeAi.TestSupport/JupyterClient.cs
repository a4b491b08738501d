using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace EdgeAi.TestSupport;

/// <summary>Kernels of a Jupyter server through its REST and WebSocket API (messaging protocol 5.3).</summary>
public static class JupyterClient
{
    public sealed record KernelConnection(string Id, ClientWebSocket Socket) : IDisposable
    {
        public void Dispose() => Socket.Dispose();
    }

    public static async Task<KernelConnection> OpenKernel(HttpClient http, string token, System.Net.CookieContainer? cookies = null)
    {
        var created = await http.PostAsJsonAsync($"api/kernels?token={token}", new { name = Kernelspec.Name });
        created.EnsureSuccessStatusCode();
        var kernelId = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        var socket = new ClientWebSocket();
        if (cookies is not null)
            socket.Options.Cookies = cookies;   // the proxy's affinity cookie
        // A JupyterHub user's server takes the token in this header only (it ignores ?token= from clients that are
        // not browsers); the same header as the REST calls.
        if (http.DefaultRequestHeaders.Authorization is { } authorization)
            socket.Options.SetRequestHeader("Authorization", authorization.ToString());
        var server = http.BaseAddress!;
        // Under the server's base path: "/" for the lab, "/user/NAME/" behind a JupyterHub.
        await socket.ConnectAsync(new Uri($"ws://{server.Authority}{server.AbsolutePath}api/kernels/{kernelId}/channels?token={token}"), CancellationToken.None);
        return new KernelConnection(kernelId, socket);
    }

    /// <summary>A one-cell-per-source nbformat 4 notebook for our kernel, as the contents API takes it.</summary>
    public static JsonObject Notebook(params string[] cells) => new()
    {
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
        ["metadata"] = new JsonObject { ["kernelspec"] = new JsonObject { ["name"] = Kernelspec.Name, ["display_name"] = "C# (EdgeAi)", ["language"] = "C#" } },
        ["cells"] = new JsonArray(cells.Select(source => (JsonNode)new JsonObject
        {
            ["cell_type"] = "code",
            ["id"] = Guid.NewGuid().ToString("N")[..8],
            ["metadata"] = new JsonObject(),
            ["source"] = source,
            ["outputs"] = new JsonArray(),
            ["execution_count"] = null,
        }).ToArray()),
    };

    /// <summary>Saves a notebook as the browser's Save does (PUT /api/contents/PATH).</summary>
    public static async Task SaveNotebook(HttpClient http, string token, string path, JsonObject notebook) =>
        (await http.PutAsJsonAsync($"api/contents/{path}?token={token}", new JsonObject
        { ["type"] = "notebook", ["format"] = "json", ["content"] = notebook })).EnsureSuccessStatusCode();

    /// <summary>Opens a notebook as the browser does; returns the source of each code cell.</summary>
    public static async Task<string[]> OpenNotebook(HttpClient http, string token, string path)
    {
        var model = (await http.GetFromJsonAsync<JsonObject>($"api/contents/{path}?token={token}&type=notebook&content=1"))!;
        return model["content"]!["cells"]!.AsArray().Where(c => (string)c!["cell_type"]! == "code").Select(c => c!["source"] switch
        {
            JsonArray lines => string.Concat(lines.Select(l => (string)l!)),
            var text => (string)text!,
        }).ToArray();
    }

    /// <summary>The names in a folder of the server (GET /api/contents/PATH).</summary>
    public static async Task<string[]> ListFolder(HttpClient http, string token, string path) =>
        (await http.GetFromJsonAsync<JsonObject>($"api/contents/{path}?token={token}"))!["content"]!.AsArray()
            .Select(item => (string)item!["name"]!).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Runs a cell that must succeed; returns the HTML/text it displays.</summary>
    public static async Task<List<string>> Execute(KernelConnection kernel, string code)
    {
        var (status, outputs) = await ExecuteAsync(kernel, code);
        Assert.True(status == "ok", $"{code}: {string.Join("\n", outputs)}");
        return outputs;
    }

    /// <summary>Sends an execute_request (Jupyter messaging protocol 5.3); returns the reply's status and the
    /// HTML/text the cell displayed (and its error, if any).</summary>
    public static async Task<(string Status, List<string> Outputs)> ExecuteAsync(KernelConnection kernel, string code)
    {
        var socket = kernel.Socket;
        var id = Guid.NewGuid().ToString("N");
        var message = new JsonObject
        {
            ["header"] = new JsonObject
            {
                ["msg_id"] = id,
                ["username"] = "test",
                ["session"] = Guid.NewGuid().ToString("N"),
                ["msg_type"] = "execute_request",
                ["version"] = "5.3",
                ["date"] = DateTime.UtcNow.ToString("o")
            },
            ["parent_header"] = new JsonObject(),
            ["metadata"] = new JsonObject(),
            ["channel"] = "shell",
            ["buffers"] = new JsonArray(),
            ["content"] = new JsonObject
            {
                ["code"] = code,
                ["silent"] = false,
                ["store_history"] = true,
                ["user_expressions"] = new JsonObject(),
                ["allow_stdin"] = false,
                ["stop_on_error"] = true
            },
        };
        await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

        var outputs = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        string? status = null;
        var idle = false;
        while (!(status is not null && idle))
        {
            var reply = await Receive(socket, timeout.Token);
            if ((string?)reply["parent_header"]?["msg_id"] != id)
                continue;
            var type = (string)reply["header"]!["msg_type"]!;
            if (type == "execute_reply")
                status = (string)reply["content"]!["status"]!;
            else if (type == "status" && (string)reply["content"]!["execution_state"]! == "idle")
                idle = true;
            else if (type is "display_data" or "execute_result")
                outputs.AddRange(reply["content"]!["data"]!.AsObject().Select(kv => (string)kv.Value!));
            else if (type == "error")
                outputs.Add((string)reply["content"]!["evalue"]!);
        }
        return (status, outputs);
    }

    static async Task<JsonObject> Receive(ClientWebSocket socket, CancellationToken cancel)
    {
        var buffer = new byte[1 << 16];
        using var text = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancel);
            text.Write(buffer, 0, result.Count);
        } while (!result.EndOfMessage);
        return JsonNode.Parse(text.ToArray())!.AsObject();
    }

}
