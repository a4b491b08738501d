using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using EdgeAi.Core.Tests.Support;
using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>`./lab up` as a user starts it: token auth, our kernelspec, a magic over the WebSocket API, clean stop.</summary>
public sealed class LabUpTests : IDisposable
{
    const string Token = "edgeai-test-token-5f2c9a";
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task ServesWithTokenTrainsInOneKernelPredictsInAnotherAndStopsEverything()
    {
        var port = FreePort();
        var info = Lab.Start(temp.Combine("books"), "up", "--port", port.ToString());
        info.Environment["JUPYTER_TOKEN"] = Token;
        using var lab = Process.Start(info)!;
        var log = new StringBuilder();
        lab.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        lab.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        lab.BeginOutputReadLine();
        lab.BeginErrorReadLine();
        var descendants = new HashSet<int>();
        try
        {
            // No cookies: a token-authenticated request would log this client in for the requests after it.
            using var http = new HttpClient(new HttpClientHandler { UseCookies = false })
                { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            await WaitForServer(http, lab, log);
            Assert.Contains($"http://127.0.0.1:{port}/?token={Token}", Snapshot(log));

            Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/status")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"api/status?token={Token}")).StatusCode);
            var specs = await http.GetFromJsonAsync<JsonObject>($"api/kernelspecs?token={Token}");
            Assert.NotNull(specs!["kernelspecs"]!["edgeai-csharp"]);

            using var trainer = await OpenKernel(http, port);
            // A cell's magics are parsed before it runs, so the extension is loaded in a cell of its own.
            Assert.Contains(await Execute(trainer, "#r \"nuget: EdgeAi.Interactive\""), o => o.Contains("EdgeAi.Interactive</code> loaded"));
            Assert.Contains(await Execute(trainer, "#!mnist-weights"), o => o.Contains("No models in") && o.Contains(temp.Combine("books")));
            var training = await Execute(trainer, "#!mnist-train --epochs 1 --seed 5");
            Assert.Contains(training, o => o.Contains("Saved <b>mnist-mlp@v1</b>"));
            Assert.Contains(training, o => o.Contains("class=\"edgeai-plotly\"") && o.Contains("Plotly.newPlot"));

            // Jupyter's interrupt (the stop button) ends a long training run; nothing is saved; the kernel goes on.
            var interrupted = ExecuteAsync(trainer, "#!mnist-train --epochs 50 --batch-size 8");
            await Task.Delay(TimeSpan.FromSeconds(4));
            (await http.PostAsync($"api/kernels/{trainer.Id}/interrupt?token={Token}", null)).EnsureSuccessStatusCode();
            var (status, messages) = await interrupted;
            Assert.Equal("error", status);
            Assert.Contains(messages, m => m.Contains("#!mnist-train was interrupted. Nothing was saved"));
            Assert.False(Directory.Exists(Path.Combine(temp.Combine("books"), "mnist-mlp", "v000002")));
            Assert.Contains(await Execute(trainer, "#!mnist-weights"), o => o.Contains("v1 (latest)"));

            // The report's second notebook, in a second kernel: load the weights the first one wrote, predict.
            using var predictor = await OpenKernel(http, port);
            await Execute(predictor, "#r \"nuget: EdgeAi.Interactive\"");
            Assert.Contains(await Execute(predictor, "#!mnist-load"), o => o.Contains("mnist-mlp@v1"));
            Assert.Contains(await Execute(predictor, "#!mnist-predict --count 2"), o => o.Contains("data:image/png;base64,"));
            descendants.UnionWith(Descendants(lab.Id));
            Assert.Contains(descendants, pid => CommandLine(pid).Contains("Microsoft.DotNet.Interactive.App.dll"));
        }
        finally
        {
            Process.Start("kill", ["-INT", lab.Id.ToString()])!.WaitForExit();
            Assert.True(lab.WaitForExit(TimeSpan.FromSeconds(60)), "./lab up did not stop on Ctrl-C");
        }
        await Task.Delay(1000);
        Assert.DoesNotContain(descendants, IsAlive);
        Assert.True(FreePortIs(port), $"port {port} still in use");
    }

    sealed record KernelConnection(string Id, ClientWebSocket Socket) : IDisposable
    {
        public void Dispose() => Socket.Dispose();
    }

    static async Task<KernelConnection> OpenKernel(HttpClient http, int port)
    {
        var created = await http.PostAsJsonAsync($"api/kernels?token={Token}", new { name = "edgeai-csharp" });
        created.EnsureSuccessStatusCode();
        var kernelId = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/api/kernels/{kernelId}/channels?token={Token}"), CancellationToken.None);
        return new KernelConnection(kernelId, socket);
    }

    static async Task WaitForServer(HttpClient http, Process lab, StringBuilder log)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);   // the first run installs and packs
        while (DateTime.UtcNow < deadline)
        {
            if (lab.HasExited) Assert.Fail($"./lab up exited {lab.ExitCode}:\n{Snapshot(log)}");
            try
            {
                if ((await http.GetAsync($"api/status?token={Token}")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(500);
        }
        Assert.Fail($"the server did not answer:\n{Snapshot(log)}");
    }

    /// <summary>Runs a cell that must succeed; returns the HTML/text it displays.</summary>
    static async Task<List<string>> Execute(KernelConnection kernel, string code)
    {
        var (status, outputs) = await ExecuteAsync(kernel, code);
        Assert.True(status == "ok", $"{code}: {string.Join("\n", outputs)}");
        return outputs;
    }

    /// <summary>Sends an execute_request (Jupyter messaging protocol 5.3); returns the reply's status and the
    /// HTML/text the cell displayed (and its error, if any).</summary>
    static async Task<(string Status, List<string> Outputs)> ExecuteAsync(KernelConnection kernel, string code)
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

    static IEnumerable<int> Descendants(int root)
    {
        var parents = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsDigit)).Select(int.Parse!)
            .Select(pid => (pid, parent: ParentOf(pid))).Where(p => p.parent > 0).ToList();
        var found = new HashSet<int> { root };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, parent) in parents)
                if (found.Contains(parent) && found.Add(pid)) grew = true;
        }
        found.Remove(root);
        return found;
    }

    static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException) { return 0; }
    }

    static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); } catch (IOException) { return ""; }
    }

    static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");

    static string Snapshot(StringBuilder log) { lock (log) return log.ToString(); }

    static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    static bool FreePortIs(int port)
    {
        try
        {
            var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (System.Net.Sockets.SocketException) { return false; }
    }
}
