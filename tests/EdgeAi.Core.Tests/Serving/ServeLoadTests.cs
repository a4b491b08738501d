using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeAi.Core.Data;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using TorchSharp;

namespace EdgeAi.Core.Tests.Serving;

/// <summary>
/// `edgeai serve` under a real HTTP load generator: wrk (2 threads, 8 connections) sends Open Inference Protocol infer
/// requests, one real Fashion-MNIST test image each, while the test publishes 10 new versions to the store (a model
/// trained by `edgeai train`, then its weights with seeded noise, through the store's Save) and then rolls latest back
/// with `edgeai promote`. wrk's Lua script (serve-load.lua) keeps every answer with the time it came. No request may
/// fail; each answer must name a version whose publishing had begun, complete in the store, and equal what
/// `edgeai predict` says for that image with that version; every version must answer, and after the rollback only
/// the rolled-back one.
/// </summary>
[Trait("Needs", "cli-build")]
public sealed class ServeLoadTests : IDisposable
{
    static readonly string Cli = typeof(ServeLoadTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
    const string Token = "serve-load-token-0123456789";
    const string Name = "mnist-mlp";
    const int Images = 100;            // test images 0-99 (all ten classes): what one `edgeai predict --count` shows at most
    const int NewVersions = 10, RollbackTo = 6;   // v2-v11 published, then latest moved back to v6
    readonly TempDirectory temp = new();
    readonly WeightStore store;
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    RunningProcess? server, wrk;

    public ServeLoadTests() => store = new WeightStore(temp.Combine("books"));

    public void Dispose()
    {
        foreach (var process in new[] { wrk, server })
        {
            if (process is { HasExited: false })
                Process.GetProcessById(process.Id).Kill(entireProcessTree: true);
            process?.Dispose();
        }
        http.Dispose();
        temp.Dispose();
    }

    /// <summary>wrk from PATH; its absence fails the test (./lab test installs it), never skips it.</summary>
    static string RequireWrk() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "wrk")).FirstOrDefault(File.Exists)
        ?? throw new Xunit.Sdk.XunitException("wrk is not installed: apt-get install wrk (the Debian package `wrk`; ./lab test installs it).");

    static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    async Task<int> ServingAsync(int port)
    {
        var metadata = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/v2/models/{Name}"));
        return int.Parse(metadata.RootElement.GetProperty("edgeai").GetProperty("serving_version").GetString()!, CultureInfo.InvariantCulture);
    }

    async Task UntilServingAsync(int port, int version)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await ServingAsync(port) != version)
        {
            Assert.False(server!.HasExited, $"the server exited:\n{server.Tail()}");
            Assert.False(wrk!.HasExited, $"wrk exited:\n{wrk.Tail()}");
            Assert.True(DateTime.UtcNow < deadline, $"v{version} was not served within 20 s:\n{server.Tail()}");
            await Task.Delay(50);
        }
    }

    /// <summary>A distinct valid version made cheaply: the trained v1 with seeded noise on every weight, published
    /// with the store's own Save (what `edgeai train` ends with).</summary>
    ModelManifest PublishDerived(int seed)
    {
        using var loaded = store.Load(new ModelRef(Name, 1));
        using (torch.no_grad())
        {
            var generator = new torch.Generator((ulong)seed);
            foreach (var parameter in loaded.Model.parameters())
                parameter.add_(torch.randn(parameter.shape, generator: generator).mul_(0.05f));
        }
        return store.Save(Name, loaded.Model);
    }

    [Fact]
    public async Task Under_wrk_every_answer_is_2xx_from_a_published_version_and_equals_edgeai_predict_while_10_versions_land_and_latest_is_rolled_back()
    {
        var clock = Stopwatch.StartNew();
        var wrkPath = RequireWrk();
        var data = RealData.RequireFashionMnist();
        var script = Path.Combine(AppContext.BaseDirectory, "Serving", "serve-load.lua");
        Assert.True(File.Exists(script), $"{script} is missing (copied to the output by the test project)");

        // v1: a real model, trained for one epoch by the CLI.
        Processes.Run("dotnet", Cli, "train", "--epochs", "1", "--seed", "1", "--store", store.Root, "--data", data, "--name", Name);
        var test = MnistDataset.Load(data).Test;
        var imagesFile = temp.Combine("images.txt");
        File.WriteAllLines(imagesFile, Enumerable.Range(0, Images).Select(i => string.Join(',', test.Image(i).ToArray())));

        var port = Ports.Free();
        var info = Processes.Info("dotnet", [Cli, "serve", "--store", store.Root, "--port", port.ToString(CultureInfo.InvariantCulture), "--poll", "0.2"]);
        info.Environment["EDGEAI_SERVE_TOKEN"] = Token;
        server = RunningProcess.Start(info, "edgeai serve");
        await server.WaitForLineAsync(new Regex("^serving "), TimeSpan.FromMinutes(1), "serve v1");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var started = clock.Elapsed;

        var published = new Dictionary<int, long> { [1] = 0 };   // version -> when its Save began (Unix ms)
        var output = Directory.CreateDirectory(temp.Combine("wrk")).FullName;
        wrk = RunningProcess.Start(Processes.Info(wrkPath, ["-t2", "-c8", "-d50s", "--timeout", "10s", "--latency", "-s", script, $"http://127.0.0.1:{port}",
                                                            "--", output, Token, imagesFile, $"/v2/models/{Name}/infer"]), "wrk");
        await Waits.UntilAsync(() => Task.FromResult(new FileInfo(Path.Combine(output, "responses-1.txt")) is { Exists: true, Length: > 0 }),
                               TimeSpan.FromSeconds(20), wrk.Name, "get its first answers", () => wrk.HasExited ? $"exited {wrk.ExitCode}" : null, () => wrk.Tail());
        var loadStarted = clock.Elapsed;
        for (var k = 1; k <= NewVersions; k++)
        {
            var at = Now();
            var manifest = PublishDerived(seed: 100 + k);
            Assert.Equal(1 + k, manifest.Version);
            published[manifest.Version] = at;
            await UntilServingAsync(port, manifest.Version);
            await Task.Delay(400);   // answers from this version, under load
        }
        // The rollback, as a person does it: latest back to an older version, which every server follows.
        var promotedAt = Now();
        var promote = Processes.Run("dotnet", Cli, "promote", $"{Name}@v{RollbackTo}", "--store", store.Root);
        Assert.Contains($"is now {Name}@v{RollbackTo}", promote);
        await UntilServingAsync(port, RollbackTo);
        var followedAt = Now();
        await Task.Delay(1000);   // answers from the rolled-back version, under load
        var publishing = clock.Elapsed - loadStarted;
        Processes.Run("kill", "-INT", wrk.Id.ToString(CultureInfo.InvariantCulture));   // wrk stops, reports and runs done()
        Assert.True(wrk.WaitForExit(TimeSpan.FromSeconds(20)), $"wrk did not stop on SIGINT:\n{wrk.Tail()}");
        Assert.True(wrk.ExitCode == 0, $"wrk exited {wrk.ExitCode}:\n{wrk.Output}");
        Assert.False(server.HasExited, $"the server exited:\n{server.Tail()}");

        var summary = File.ReadAllLines(Path.Combine(output, "summary.txt")).Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        var failed = summary["connect"] + summary["read"] + summary["write"] + summary["timeout"] + summary["status"] + summary["non2xx"];
        Assert.True(failed == 0, $"failed requests: {string.Join(", ", summary.Select(p => $"{p.Key} {p.Value}"))}\n{wrk.Output}");

        // Every answer, as wrk's threads wrote them: "MILLISECONDS STATUS BODY".
        var answers = Directory.EnumerateFiles(output, "responses-*.txt").SelectMany(File.ReadLines).Select(line =>
        {
            var parts = line.Split(' ', 3);
            Assert.True(parts[1] == "200", $"an answer with status {parts[1]}: {line}");
            var body = JsonDocument.Parse(parts[2]).RootElement;
            var id = body.GetProperty("id").GetString()!;
            var outputs = body.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!, o => o.GetProperty("data"));
            return (At: long.Parse(parts[0], CultureInfo.InvariantCulture), Id: id, Image: int.Parse(id.Split('-')[2], CultureInfo.InvariantCulture),
                    Version: int.Parse(body.GetProperty("model_version").GetString()!, CultureInfo.InvariantCulture),
                    Label: outputs["label"][0].GetInt32(), Probabilities: outputs["probabilities"].EnumerateArray().Select(p => p.GetSingle()).ToArray());
        }).ToList();
        Assert.Equal(summary["requests"], answers.Count);
        Assert.Equal(answers.Count, answers.Select(a => a.Id).Distinct().Count());

        foreach (var a in answers)
        {
            Assert.True(published.TryGetValue(a.Version, out var at), $"answer {a.Id} names v{a.Version}, never published");
            Assert.True(a.At >= at, $"answer {a.Id} names v{a.Version} at {a.At}, before its Save began at {at}");
        }
        var perVersion = answers.GroupBy(a => a.Version).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(published.Keys.Order(), perVersion.Keys);   // every version served under load
        Assert.True(answers.Select(a => a.Image).Distinct().Count() == Images, "not every image was sent");

        // Every version that answered is complete in the store (manifest, weights and their SHA-256, as the store
        // checks them), and latest is the rolled-back one.
        var survey = store.Survey();
        Assert.Empty(survey.Problems);
        Assert.Equal(published.Keys.Order(), survey.Versions.Select(v => v.Manifest.Version).Order());
        Assert.Equal(RollbackTo, survey.Versions.Single(v => v.IsLatest).Manifest.Version);
        foreach (var version in perVersion.Keys)
            store.Load(new ModelRef(Name, version)).Dispose();   // throws for a missing or damaged file

        // The server followed the rollback: from half a second after it was seen serving v6 (time enough for a
        // request that began on v11 to finish), every answer names v6, and so does the last answer of every wrk thread.
        var rolledBack = answers.Where(a => a.At > followedAt + 500).ToList();
        Assert.True(rolledBack.Count > 0, $"no answer after v{RollbackTo} was served");
        Assert.All(rolledBack, a => Assert.True(a.Version == RollbackTo, $"answer {a.Id} at {a.At} names v{a.Version}, after v{RollbackTo} was served at {followedAt}"));
        foreach (var file in Directory.EnumerateFiles(output, "responses-*.txt"))
            Assert.Equal(RollbackTo.ToString(CultureInfo.InvariantCulture),
                         JsonDocument.Parse(File.ReadLines(file).Last().Split(' ', 3)[2]).RootElement.GetProperty("model_version").GetString());
        var afterPromote = answers.Count(a => a.Version == RollbackTo && a.At > promotedAt);

        // What `edgeai predict` says for each image with each version, two CLI processes at a time.
        var expected = new Dictionary<int, (int Label, float[] Probabilities)[]>();
        var predictClock = Stopwatch.StartNew();
        Parallel.ForEach(published.Keys, new ParallelOptions { MaxDegreeOfParallelism = 2 }, version =>
        {
            var csv = Processes.Run("dotnet", Cli, "predict", $"{Name}@v{version}", "--index", "0", "--count", Images.ToString(CultureInfo.InvariantCulture),
                                    "--csv", "--store", store.Root, "--data", data);
            var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).Select(l => l.Split(','))
                .Select(c => (int.Parse(c[2], CultureInfo.InvariantCulture), c[3..].Select(p => float.Parse(p, CultureInfo.InvariantCulture)).ToArray())).ToArray();
            Assert.Equal(Images, rows.Length);
            lock (expected)
                expected[version] = rows;
        });
        var predicting = predictClock.Elapsed;
        var distinct = published.Keys.Select(v => string.Join(',', expected[v].SelectMany(r => r.Probabilities))).Distinct().Count();
        Assert.True(distinct == published.Count, $"only {distinct} of {published.Count} versions predict differently");

        const float Tolerance = 1e-6f;   // libtorch's sums for a batch of 1 (served) and of 100 (predict)
        var largest = 0f;
        foreach (var a in answers)
        {
            var (label, probabilities) = expected[a.Version][a.Image];
            Assert.True(label == a.Label, $"answer {a.Id} (v{a.Version}, image {a.Image}): label {a.Label}, edgeai predict says {label}");
            for (var c = 0; c < MnistMlp.Classes; c++)
            {
                var difference = Math.Abs(probabilities[c] - a.Probabilities[c]);
                largest = Math.Max(largest, difference);
                Assert.True(difference <= Tolerance, $"answer {a.Id} (v{a.Version}, image {a.Image}) class {c}: {a.Probabilities[c]} served, {probabilities[c]} predicted");
            }
        }

        var seconds = summary["duration_us"] / 1e6;
        Report.Line("serve load", $"wrk 2 threads, 8 connections, {seconds:F1} s: {answers.Count} requests, {answers.Count / seconds:F0} requests/s, " +
                                  $"latency p50 {summary["p50_us"] / 1000.0:F1} ms, p99 {summary["p99_us"] / 1000.0:F1} ms; errors: " +
                                  string.Join(", ", new[] { "connect", "read", "write", "timeout", "status", "non2xx" }.Select(e => $"{e} {summary[e]}")));
        Report.Line("serve load", $"{NewVersions} versions published in {publishing.TotalSeconds:F1} s, then promote back to v{RollbackTo} " +
                                  $"({afterPromote} answers from it after the promote); answers per version: " + string.Join(", ", perVersion.Select(p => $"v{p.Key} {p.Value}")));
        Report.Line("serve load", $"every answer equals edgeai predict for its image and version (largest probability difference {largest:E1}); " +
                                  $"set-up {started.TotalSeconds:F1} s, predict {predicting.TotalSeconds:F1} s, whole test {clock.Elapsed.TotalSeconds:F1} s");
    }
}
