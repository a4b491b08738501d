using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgeAi.Notebook.Tests.Support;
using static EdgeAi.TestSupport.JupyterClient;

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
        var port = Ports.Free();
        var info = Lab.Start(temp.Combine("books"), "up", "--port", port.ToString());
        info.Environment["JUPYTER_TOKEN"] = Token;
        using var lab = Lab.StartRunning(info);
        var descendants = new HashSet<int>();
        try
        {
            // No cookies: a token-authenticated request would log this client in for the requests after it.
            using var http = new HttpClient(new HttpClientHandler { UseCookies = false })
            { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            await lab.WaitUntilAsync(async () => (await http.GetAsync($"api/status?token={Token}")).EnsureSuccessStatusCode(), Lab.StartTimeout, "serve");
            Assert.Contains($"http://127.0.0.1:{port}/?token={Token}", lab.Output);

            Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/status")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"api/status?token={Token}")).StatusCode);
            var specs = await http.GetFromJsonAsync<JsonObject>($"api/kernelspecs?token={Token}");
            Assert.NotNull(specs!["kernelspecs"]![Kernelspec.Name]);
            // The kernel runs the lab's copy of dotnet-interactive, compiled ahead for this machine (scripts/ready-to-run.sh).
            var command = specs["kernelspecs"]![Kernelspec.Name]!["spec"]!["argv"]!.AsArray().Select(a => (string)a!).Last();
            var interactive = Path.GetDirectoryName(command)!;
            Assert.Equal(Path.Combine(RealData.RepositoryRoot, ".lab", "interactive"), Path.GetDirectoryName(interactive));
            var machine = ReadyToRun.Of(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant());
            Assert.All(Directory.GetFiles(interactive, "*.dll"), dll => Assert.True(ReadyToRun.IsCompiledFor(dll, machine), $"{dll} is not compiled ahead"));

            using var trainer = await OpenKernel(http, Token);
            // A cell's magics are parsed before it runs, so the extension is loaded in a cell of its own.
            Assert.Contains(await Execute(trainer, "#r \"nuget: EdgeAi.Interactive\""), o => o.Contains("EdgeAi.Interactive</code> loaded"));
            Assert.Contains(await Execute(trainer, "#!mnist-weights"), o => o.Contains("No models in") && o.Contains(Lab.Store(temp.Combine("books"))));
            var training = await Execute(trainer, "#!mnist-train --epochs 1 --seed 5");
            Assert.Contains(training, o => o.Contains("Saved <b>mnist-mlp@v1</b>"));
            Assert.Contains(training, o => o.Contains("class=\"edgeai-chart\"") && o.Contains("Plotly.newPlot"));
            // The charts' plotly.js, published by the kernel, served by the lab's server (not carried in the notebook).
            var plotly = await http.GetAsync("static/edgeai/plotly.min.js");
            Assert.Equal(HttpStatusCode.OK, plotly.StatusCode);
            Assert.True((await plotly.Content.ReadAsByteArrayAsync()).Length > 1_000_000);

            // Jupyter's interrupt (the stop button) ends a long training run; nothing is saved; the kernel goes on.
            var interrupted = ExecuteAsync(trainer, "#!mnist-train --epochs 50 --batch-size 8");
            await Task.Delay(TimeSpan.FromSeconds(4));
            (await http.PostAsync($"api/kernels/{trainer.Id}/interrupt?token={Token}", null)).EnsureSuccessStatusCode();
            var (status, messages) = await interrupted;
            Assert.Equal("error", status);
            Assert.Contains(messages, m => m.Contains("#!mnist-train was interrupted. Nothing was saved"));
            Assert.False(Directory.Exists(Path.Combine(Lab.Store(temp.Combine("books")), "mnist-mlp", "v000002")));
            Assert.Contains(await Execute(trainer, "#!mnist-weights"), o => o.Contains("v1 (latest)"));

            // The report's second notebook, in a second kernel: load the weights the first one wrote, predict.
            using var predictor = await OpenKernel(http, Token);
            await Execute(predictor, "#r \"nuget: EdgeAi.Interactive\"");
            Assert.Contains(await Execute(predictor, "#!mnist-load"), o => o.Contains("mnist-mlp@v1"));
            Assert.Contains(await Execute(predictor, "#!mnist-predict --count 2"), o => o.Contains("data:image/png;base64,"));
            descendants.UnionWith(Ports.Descendants(lab.Id));
            Assert.Contains(descendants, pid => CommandLine(pid).Contains("Microsoft.DotNet.Interactive.App.dll"));
        }
        finally
        {
            Process.Start("kill", ["-INT", lab.Id.ToString()])!.WaitForExit();
            Assert.True(lab.WaitForExit(TimeSpan.FromSeconds(60)), "./lab up did not stop on Ctrl-C");
        }
        await Task.Delay(1000);
        Assert.DoesNotContain(descendants, IsAlive);
        Assert.True(Ports.IsFree(port), $"port {port} still in use");
    }

    [Fact]
    public async Task A_wait_on_lab_up_ends_as_soon_as_it_exits_and_shows_its_last_lines()
    {
        // A lab that cannot start (here: a refused option, a usage error, which exits 2; on a fresh machine, a failed
        // install) ends the test's wait for its URL at once, with what it said, instead of after the whole start timeout.
        using var lab = Lab.StartRunning(Lab.Start(temp.Combine("books"), "up", "--replicas", "9"));
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => lab.WaitForLineAsync(new Regex(@"open http://"), Lab.StartTimeout, "print its URL"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the wait took {clock.Elapsed.TotalSeconds:F0} s");
        Assert.Contains("./lab up --replicas 9 exited 2 before it would print its URL", error.Message);
        Assert.Contains("--replicas 9 is not a number from 1 to 8", error.Message);
        error = await Assert.ThrowsAnyAsync<Exception>(() => lab.WaitUntilAsync(() => Task.CompletedTask.ContinueWith(_ => throw new HttpRequestException()), Lab.StartTimeout, "serve"));
        Assert.Contains("exited 2 before it would serve", error.Message);
    }

    static string CommandLine(int pid)
    {
        try
        { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; }
    }

    static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");


}
