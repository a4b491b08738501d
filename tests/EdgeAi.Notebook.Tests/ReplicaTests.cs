using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using EdgeAi.Notebook.Tests.Support;
using EdgeAi.TestSupport;
using static EdgeAi.TestSupport.JupyterClient;

namespace EdgeAi.Notebook.Tests;

/// <summary>
/// The cluster's semantics on one machine (`./lab up --replicas 2`): two Jupyter servers, each with its own
/// network stacks (network namespaces when root, else loopback addresses), nginx in front with the Ingress' cookie
/// affinity and WebSockets, one shared volume (notebooks and store). Not a Kubernetes cluster: no scheduler, a local folder rather than NFS.
/// </summary>
public sealed class ReplicaTests : IDisposable
{
    const string Token = "edgeai-replica-token-77d1";
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    /// <summary>A browser: its own cookie jar, so its own affinity.</summary>
    sealed class Browser(Uri server) : IDisposable
    {
        public CookieContainer Cookies { get; } = new();
        HttpClient? http;
        public HttpClient Http => http ??= new HttpClient(new HttpClientHandler { CookieContainer = Cookies })
        { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };

        /// <summary>Which replica answered (nginx's upstream address).</summary>
        public async Task<string> ReplicaAsync()
        {
            var response = await Http.GetAsync($"api/status?token={Token}");
            response.EnsureSuccessStatusCode();
            return response.Headers.GetValues("X-EdgeAi-Replica").Single();
        }

        public Task<KernelConnection> KernelAsync() => OpenKernel(Http, Token, Cookies);

        public void Dispose() => http?.Dispose();
    }

    static int[] PredictedLabels(IEnumerable<string> outputs) =>
        Regex.Matches(outputs.Single(o => o.Contains("<img") && !o.Contains("edgeai-chart")), @"#\d+: <b>(\d)</b>").Select(m => int.Parse(m.Groups[1].Value)).ToArray();

    [Fact]
    public async Task SessionsStickTheStoreIsSharedAndASurvivorTakesOver()
    {
        var port = Ports.Free();
        var info = Lab.Start(temp.Combine("books"), "up", "--replicas", "2", "--port", port.ToString());
        info.Environment["JUPYTER_TOKEN"] = Token;
        using var lab = Lab.StartRunning(info);
        try
        {
            // As root the replicas and the proxy are network namespaces (10.200.*), else loopback addresses.
            var url = await lab.WaitForLineAsync(new Regex(@"open (http://[\d.]+:\d+/)\?token="), Lab.StartTimeout, "print its URL");
            var server = new Uri(url.Groups[1].Value);
            using var first = new Browser(server);
            await lab.WaitUntilAsync(() => first.ReplicaAsync(), Lab.StartTimeout, "serve through nginx");

            // Affinity: one browser always reaches the same replica; another browser can reach the other one.
            var replicaA = await first.ReplicaAsync();
            for (var i = 0; i < 5; i++)
                Assert.Equal(replicaA, await first.ReplicaAsync());
            Browser? second = null;
            for (var attempt = 0; attempt < 40 && second is null; attempt++)
            {
                var candidate = new Browser(server);
                if (await candidate.ReplicaAsync() != replicaA)
                    second = candidate;
                else
                    candidate.Dispose();
            }
            Assert.NotNull(second);
            using var other = second;

            // Train through the proxy on replica A ...
            using var trainer = await first.KernelAsync();
            await Execute(trainer, "#r \"nuget: EdgeAi.Interactive\"");
            Assert.Contains(await Execute(trainer, "#!mnist-train --epochs 1 --seed 3"), o => o.Contains("Saved <b>mnist-mlp@v1</b>"));
            var expected = PredictedLabels(await Execute(trainer, "#!mnist-predict --count 6"));

            // ... load on replica B what A wrote, and predict the same.
            using var predictor = await other.KernelAsync();
            await Execute(predictor, "#r \"nuget: EdgeAi.Interactive\"");
            var replicaNumber = replicaA.Split(':')[0].Split('.')[^1];
            Assert.Contains(await Execute(predictor, "#!mnist-load"), o => o.Contains("mnist-mlp@v1") && o.Contains($"pod edgeai-lab-{replicaNumber}"));
            Assert.Equal(expected, PredictedLabels(await Execute(predictor, "#!mnist-predict --count 6")));
            Assert.Equal(replicaA, await first.ReplicaAsync());

            // As in the report, the servers serve the shared volume: the samples are there, and a notebook saved
            // through replica A opens and runs through replica B.
            Assert.Contains("mnist_training.ipynb", await ListFolder(first.Http, Token, "notebooks"));
            await SaveNotebook(first.Http, Token, "notebooks/student.ipynb",
                JupyterClient.Notebook("var author = \"saved through replica A\";", "$\"{author}, run through replica B\""));
            var ran = new List<string>();
            foreach (var cell in await OpenNotebook(other.Http, Token, "notebooks/student.ipynb"))
                ran.AddRange(await Execute(predictor, cell));
            Assert.Contains(ran, o => o.Contains("saved through replica A, run through replica B"));

            // 100 cell runs through the proxy, from 20 browsers with a kernel each: no kernel is ever lost,
            // which is what round-robin without affinity would do to about half of them.
            var sessions = Enumerable.Range(0, 20).Select(_ => new Browser(server)).ToList();
            try
            {
                foreach (var browser in sessions)
                {
                    using var kernel = await browser.KernelAsync();
                    for (var run = 1; run <= 5; run++)
                    {
                        var (status, outputs) = await ExecuteAsync(kernel, $"{run} * 7");
                        Assert.Equal("ok", status);
                        Assert.Contains(outputs, o => o.Contains((run * 7).ToString()));
                        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync($"api/kernels/{kernel.Id}?token={Token}")).StatusCode);
                    }
                    (await browser.Http.DeleteAsync($"api/kernels/{kernel.Id}?token={Token}")).EnsureSuccessStatusCode();
                }
            }
            finally
            {
                sessions.ForEach(b => b.Dispose());
            }

            // Replica A fails: the first browser's next request reaches the survivor, and the weights are there.
            KillReplica(int.Parse(replicaNumber));
            var survivor = await first.ReplicaAsync();
            Assert.NotEqual(replicaA, survivor);
            using var afterFailure = await first.KernelAsync();
            await Execute(afterFailure, "#r \"nuget: EdgeAi.Interactive\"");
            Assert.Contains(await Execute(afterFailure, "#!mnist-load"), o => o.Contains("mnist-mlp@v1"));
            Assert.Equal(expected, PredictedLabels(await Execute(afterFailure, "#!mnist-predict --count 6")));
        }
        finally
        {
            Process.Start("kill", ["-INT", lab.Id.ToString()])!.WaitForExit();
            Assert.True(lab.WaitForExit(TimeSpan.FromSeconds(60)), "./lab up --replicas did not stop on Ctrl-C");
        }
    }

    /// <summary>Kills a replica's server and its kernels, as a node failure would.</summary>
    static void KillReplica(int number)
    {
        var pid = int.Parse(File.ReadAllText(Path.Combine(RealData.RepositoryRoot, ".lab", "replicas", number.ToString(), "pid")).Trim());
        foreach (var victim in Ports.Descendants(pid).Append(pid))
            try
            { Process.GetProcessById(victim).Kill(); }
            catch (ArgumentException) { }
    }
}
