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
        var created = await http.PostAsJsonAsync($"api/kernels?token={token}", new { name = "edgeai-csharp" });
        created.EnsureSuccessStatusCode();
        var kernelId = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        var socket = new ClientWebSocket();
        if (cookies is not null) socket.Options.Cookies = cookies;   // the proxy's affinity cookie
        var server = http.BaseAddress!;
        await socket.ConnectAsync(new Uri($"ws://{server.Authority}/api/kernels/{kernelId}/channels?token={token}"), CancellationToken.None);
        return new KernelConnection(kernelId, socket);
    }

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
            ["header"] = new JsonObject { ["msg_id"] = id, ["username"] = "test", ["session"] = Guid.NewGuid().ToString("N"),
                                          ["msg_type"] = "execute_request", ["version"] = "5.3", ["date"] = DateTime.UtcNow.ToString("o") },
            ["parent_header"] = new JsonObject(), ["metadata"] = new JsonObject(), ["channel"] = "shell", ["buffers"] = new JsonArray(),
            ["content"] = new JsonObject { ["code"] = code, ["silent"] = false, ["store_history"] = true, ["user_expressions"] = new JsonObject(),
                                           ["allow_stdin"] = false, ["stop_on_error"] = true },
        };
        await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

        var outputs = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        string? status = null;
        var idle = false;
        while (!(status is not null && idle))
        {
            var reply = await Receive(socket, timeout.Token);
            if ((string?)reply["parent_header"]?["msg_id"] != id) continue;
            var type = (string)reply["header"]!["msg_type"]!;
            if (type == "execute_reply") status = (string)reply["content"]!["status"]!;
            else if (type == "status" && (string)reply["content"]!["execution_state"]! == "idle") idle = true;
            else if (type is "display_data" or "execute_result")
                outputs.AddRange(reply["content"]!["data"]!.AsObject().Select(kv => (string)kv.Value!));
            else if (type == "error") outputs.Add((string)reply["content"]!["evalue"]!);
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
