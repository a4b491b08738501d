using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeAi.Core.Data;
using EdgeAi.Core.Federated;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using TorchSharp;
using TorchSharp.PyBridge;

namespace EdgeAi.Core.Tests.Federated;

/// <summary>
/// A federation of real processes (`edgeai fed aggregate` and `edgeai fed worker`, as Jobs run them) sharing a store,
/// and the faults a cluster of small devices has: a node killed mid-round, the aggregator killed while it publishes,
/// updates that are duplicated, damaged or from elsewhere, a full volume. After each, every global version must be the
/// weighted mean of exactly the updates its manifest names, recomputed here from the files.
/// </summary>
[Trait("Needs", "cli-build")]
public sealed class FaultTests : IDisposable
{
    static readonly string Cli = typeof(FaultTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
    static readonly TimeSpan Long = TimeSpan.FromMinutes(3);
    readonly TempDirectory temp = new();
    readonly string data, storeRoot;
    readonly List<RunningProcess> processes = [];

    public FaultTests()
    {
        data = RealData.WriteNpmMnist(temp.Combine("digits"));
        storeRoot = temp.Combine("books");
    }

    public void Dispose()
    {
        foreach (var p in processes)
        {
            if (!p.HasExited)
                Processes.Execute("kill", "-KILL", p.Id.ToString());
            p.Dispose();
        }
        if (mounted)
            Processes.Execute("umount", storeRoot);
        temp.Dispose();
    }

    bool mounted;

    RunningProcess Start(string name, params string[] arguments)
    {
        var process = RunningProcess.Start(Processes.Info("dotnet", [Cli, "fed", .. arguments, "--store", storeRoot, "--data", data, "--name", "fed"]), name);
        processes.Add(process);
        return process;
    }

    RunningProcess Aggregator(int nodes, int rounds, int minNodes, int timeout, int localEpochs = 1) =>
        Start("aggregator", "aggregate", "--nodes", $"{nodes}", "--rounds", $"{rounds}", "--min-nodes", $"{minNodes}",
              "--round-timeout", $"{timeout}", "--local-epochs", $"{localEpochs}", "--partition", "iid", "--seed", "4");

    RunningProcess Worker(int node) => Start($"worker {node}", "worker", "--node", $"{node}", "--timeout", "120");

    /// <summary>A line <paramref name="process"/> prints; failing, the message has every process's last lines (a worker's
    /// failure shows up as the aggregator's missing update).</summary>
    async Task Line(RunningProcess process, string pattern, string what)
    {
        try
        {
            await process.WaitForLineAsync(new Regex(pattern), Long, what);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException(e.Message + "\n" + string.Join("\n", processes.Where(p => p != process).Select(p => $"--- {p.Name}:\n{p.Tail(15)}")));
        }
    }

    static void Kill(RunningProcess process) => Processes.Run("kill", "-KILL", process.Id.ToString());

    static void ExitsZero(RunningProcess process)
    {
        Assert.True(process.WaitForExit(Long), $"{process.Name} did not finish:\n{process.Tail()}");
        Assert.True(process.ExitCode == 0, $"{process.Name} exited {process.ExitCode}:\n{process.Tail()}");
    }

    void EveryGlobalIsTheMeanOfItsUpdates(WeightStore store)
    {
        foreach (var global in IndependentAverage.Chain(store, "fed").Skip(1))
            Assert.True(IndependentAverage.Difference(store, global) < 1e-6, $"{global.Ref} differs from the mean of the updates it names");
        // Nothing half-written is visible: a staging folder is hidden (readers skip dot names), and only a killed writer leaves one.
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(storeRoot, ".staging-*", SearchOption.AllDirectories),
                              path => !processes.Any(p => p.HasExited && path.Contains($"-{p.Id}-")));
    }

    [Fact]
    public async Task A_worker_killed_mid_round_is_left_out_at_the_deadline_and_is_back_in_the_next_round()
    {
        var aggregator = Aggregator(nodes: 3, rounds: 3, minNodes: 2, timeout: 10, localEpochs: 8);
        Worker(0);
        Worker(1);
        var doomed = Worker(2);
        await Line(doomed, "round 0: training", "worker 2 to start round 0");
        Kill(doomed);
        await Line(aggregator, "round 1 of 3: fed@v2", "round 0 to close at its deadline without node 2");
        var back = Worker(2);
        ExitsZero(aggregator);
        ExitsZero(back);

        var store = new WeightStore(storeRoot);
        var chain = IndependentAverage.Chain(store, "fed");
        Assert.Equal(4, chain.Count);
        Assert.Equal([0, 1], chain[1].Federation!.Updates.Select(u => u.Node));      // the deadline closed round 0 with two
        Assert.Equal([0, 1, 2], chain[2].Federation!.Updates.Select(u => u.Node));   // the restarted node is back
        Assert.Contains("deadline reached with 2 of 3 updates", aggregator.Output);
        EveryGlobalIsTheMeanOfItsUpdates(store);
    }

    [Fact]
    public async Task A_worker_started_before_the_aggregator_of_a_second_run_under_the_same_name_waits_and_takes_part()
    {
        var first = Aggregator(nodes: 1, rounds: 1, minNodes: 1, timeout: 60);
        Worker(0);
        ExitsZero(first);
        var early = Worker(0);                     // the store shows the finished first run
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.False(early.HasExited, $"the worker left before the second run started:\n{early.Tail()}");
        var second = Aggregator(nodes: 1, rounds: 2, minNodes: 1, timeout: 60);
        ExitsZero(second);
        ExitsZero(early);
        Assert.Contains("took part in 2 round(s)", early.Output);
    }

    [Fact]
    public async Task An_aggregator_killed_while_publishing_resumes_and_no_round_is_lost_or_published_twice()
    {
        var aggregator = Aggregator(nodes: 2, rounds: 4, minNodes: 2, timeout: 60);
        var workers = new[] { Worker(0), Worker(1) };
        await Line(aggregator, "round 2: averaged 2 updates .*; publishing", "the aggregator to publish round 2");
        Kill(aggregator);
        var resumed = Aggregator(nodes: 2, rounds: 4, minNodes: 2, timeout: 60);
        ExitsZero(resumed);
        foreach (var worker in workers)
            ExitsZero(worker);

        Assert.Contains("resuming federation", resumed.Output);
        var store = new WeightStore(storeRoot);
        var chain = IndependentAverage.Chain(store, "fed");   // rounds 0-4, each once, each the child of the one before
        Assert.Equal(5, chain.Count);
        EveryGlobalIsTheMeanOfItsUpdates(store);
    }

    [Fact]
    public async Task Duplicate_damaged_and_foreign_updates_are_refused_by_name_and_never_averaged()
    {
        var store = new WeightStore(storeRoot);
        var dataset = MnistDataset.Load(data);
        var settings = new FederationSettings { Id = "", Nodes = 2, Rounds = 1, MinNodes = 2, RoundTimeoutSeconds = 60, Seed = 1 };
        var run = Task.Run(() => new Aggregator(store, "fed", dataset).RunAsync(settings));
        ModelManifest? global = null;
        await RoundZero(run, () => (global = store.FindLatest("fed")) is not null);
        var folders = new RoundFolders(store, "fed", global!.Federation!.Settings.Id);
        // Each update is made whole elsewhere (and spoiled there), then moved into the round's folder: the aggregator
        // must never see one before it is what the test means it to be.
        var scratch = new RoundFolders(new WeightStore(temp.Combine("scratch")), "fed", global.Federation.Settings.Id);
        UpdateManifest Claim(int node) => new()
        {
            FederationId = global.Federation.Settings.Id,
            Round = 0,
            Node = node,
            BaseVersion = global.Version,
            Samples = 100,
            WeightsSha256 = "",
            WeightsBytes = 0,
            LocalLoss = 1,
            LocalAccuracy = 0.5,
            Seconds = 1,
            Origin = OriginInfo.Current(),
            CreatedUtc = DateTimeOffset.UtcNow,
        };
        string Publish(int seed, int node, Action<MnistMlp>? spoil = null, UpdateManifest? claim = null, Action<string>? damage = null)
        {
            using var model = new MnistMlp(seed);
            spoil?.Invoke(model);
            var made = Path.Combine(scratch.Store.Root, scratch.Publish(model, claim ?? Claim(node) with { CreatedUtc = DateTimeOffset.UtcNow }));
            damage?.Invoke(Path.Combine(made, ModelManifest.WeightsFile));
            var target = Path.Combine(folders.RoundDirectory(0), Path.GetFileName(made));
            Directory.CreateDirectory(folders.RoundDirectory(0));
            Directory.Move(made, target);
            Thread.Sleep(20);   // the aggregator takes each node's first update by time
            return Path.Combine(folders.Relative(target), ModelManifest.WeightsFile);
        }

        var badChecksum = Publish(10, 1, damage: file =>
        {
            var bytes = File.ReadAllBytes(file);
            bytes[^1] ^= 0x40;                              // one bit of one weight, same size
            File.WriteAllBytes(file, bytes);
        });
        var nan = Publish(11, 1, m => { using var _ = torch.no_grad(); m.state_dict()["3.bias"][5] = float.NaN; });
        var foreign = Publish(12, 0, claim: Claim(0) with { FederationId = "0123456789abcdef", CreatedUtc = DateTimeOffset.UtcNow });
        var otherBase = Publish(13, 0, claim: Claim(0) with { BaseVersion = 99, CreatedUtc = DateTimeOffset.UtcNow });
        var wrongShapes = PlantWrongShapes(folders, Claim(1), temp.Combine("scratch"));
        var first = Publish(14, 0);
        var duplicate = Publish(15, 0);
        var good = Publish(16, 1);

        var final = await run;
        var record = final.Federation!;
        Assert.Equal([first, good], record.Updates.Select(u => u.Path));
        string Reason(string path) => Assert.Single(record.Refused, r => r.Path == path).Reason;
        Assert.Contains("bad checksum", Reason(badChecksum));
        Assert.Contains("NaN", Reason(nan));
        Assert.Contains("federation 0123456789abcdef", Reason(foreign));
        Assert.Contains("trained from v99", Reason(otherBase));
        Assert.Contains("does not fit the mnist-mlp-784-128-128-10 model", Reason(wrongShapes));
        Assert.Contains("a duplicate: node 0", Reason(duplicate));
        Assert.True(IndependentAverage.Difference(store, final) < 1e-6);
    }

    static Task RoundZero(Task run, Func<bool> published) =>
        Waits.UntilAsync(() => Task.FromResult(published()), Long, "the aggregator", "round 0's global model",
                         () => run.IsCompleted ? "ended" : null, () => run.Exception?.ToString() ?? "");

    /// <summary>An update whose file is sound safetensors, with a true checksum, of another network (64 hidden units).</summary>
    static string PlantWrongShapes(RoundFolders folders, UpdateManifest claim, string scratch)
    {
        using var other = torch.nn.Sequential(("1", torch.nn.Linear(784, 64)), ("2", torch.nn.ReLU()), ("3", torch.nn.Linear(64, 128)),
                                              ("4", torch.nn.ReLU()), ("5", torch.nn.Linear(128, 10)));
        using var buffer = new MemoryStream();
        other.save_safetensors(buffer, leaveOpen: true);
        var weights = buffer.ToArray();
        var name = $"node-001-{Guid.NewGuid():N}";
        var made = Path.Combine(scratch, name);
        Directory.CreateDirectory(made);
        File.WriteAllBytes(Path.Combine(made, ModelManifest.WeightsFile), weights);
        var manifest = claim with
        {
            WeightsSha256 = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(weights)).ToLowerInvariant(),
            WeightsBytes = weights.Length,
        };
        File.WriteAllText(Path.Combine(made, RoundFolders.UpdateFile), JsonSerializer.Serialize(manifest, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        var folder = Path.Combine(folders.RoundDirectory(0), name);
        Directory.Move(made, folder);   // visible whole, as a node publishes
        Thread.Sleep(20);
        return Path.Combine(folders.Relative(folder), ModelManifest.WeightsFile);
    }

    [Fact]
    public async Task A_full_store_fails_the_update_with_the_reason_and_leaves_nothing_half_written()
    {
        if (Files.FileStatus.Me.User != 0)
            Assert.Skip("a small volume of its own needs root (CI runs as root)");
        Directory.CreateDirectory(storeRoot);
        // Room for round 0's global model (weights 475 KB) and the aggregator's pre-flight check, not for an update too.
        Processes.Run("mount", "-t", "tmpfs", "-o", "size=720k", "tmpfs", storeRoot);
        mounted = true;
        var store = new WeightStore(storeRoot);
        var dataset = MnistDataset.Load(data);
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => new Aggregator(store, "fed", dataset).RunAsync(
            new FederationSettings { Id = "", Nodes = 1, Rounds = 1, MinNodes = 1, RoundTimeoutSeconds = 60, Seed = 1 }, cancel: stop.Token));
        await RoundZero(run, () => store.FindLatest("fed") is not null);

        var e = await Assert.ThrowsAsync<EdgeAiException>(() => new Worker(store, "fed", 0, dataset.Train).RunAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Cannot write node 0's update of round 0", e.Message);
        Assert.Contains("No space left on device", e.Message);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var round = new RoundFolders(store, "fed", store.FindLatest("fed")!.Federation!.Settings.Id).RoundDirectory(0);
        Assert.Empty(Directory.EnumerateFileSystemEntries(round));       // no update, and no staging left behind
        Assert.Single(store.List("fed"));                                 // round 0's model is intact
        using var loaded = store.Load(new ModelRef("fed", 1));
    }
}
