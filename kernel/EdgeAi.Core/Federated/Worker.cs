using EdgeAi.Core.Data;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using EdgeAi.Core.Training;

namespace EdgeAi.Core.Federated;

/// <summary>
/// A node of a federation: it follows the model's latest global version in the store, trains it for the round's local
/// epochs on its own part of the data it has, and publishes the update. Its data never leaves it; it reads the
/// federation's settings from the global version's manifest, so it needs only its node index. Knows nothing of
/// processes or networks: the CLI, a Job and the in-process run all use it as is.
/// </summary>
public sealed class Worker
{
    // NFS has no inotify, so the store is polled: one folder listing a tenth of a second per node is a few hundred
    // bytes of READDIR, and it bounds what waiting adds to a round.
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    readonly WeightStore store;
    readonly string name;
    readonly int node;
    readonly MnistSplit data;
    readonly Action<string> log;

    public Worker(WeightStore store, string name, int node, MnistSplit data, Action<string>? log = null)
    {
        ModelRef.ValidateName(name);
        if (node is < 0 or >= FederationSettings.MaxNodes)
            throw new EdgeAiException($"Node {node} is outside 0-{FederationSettings.MaxNodes - 1}.");
        (this.store, this.name, this.node, this.data, this.log) = (store, name, node, data, log ?? (_ => { }));
    }

    /// <summary>Training threads for each local round (default 1: nodes of one machine share its cores).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// Takes part in every round until the last global version is published. <paramref name="wait"/> bounds how long it
    /// waits for a federation to start, and for each next round (a restarted or late worker joins the open round).
    /// </summary>
    public async Task<int> RunAsync(TimeSpan wait, CancellationToken cancel = default)
    {
        var rounds = 0;
        var waitingSince = DateTimeOffset.UtcNow;
        (string Id, int Round)? done = null;
        (string Id, int[] Indices)? partition = null;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var global = store.FindLatest(name);
            // A finished federation ends this worker only if it took part in it: one this worker never saw is an
            // earlier run under the same name, and the aggregator of a new one may not have published round 0 yet.
            var finished = global?.Federation is { } f && f.Round >= f.Settings.Rounds;
            var mine = global?.Federation is { } g && done?.Id == g.Settings.Id;
            if (finished && (mine || DateTimeOffset.UtcNow - waitingSince > wait))
            {
                log(mine ? $"node {node}: {name} finished its {global!.Federation!.Settings.Rounds} rounds as {global.Ref}"
                         : $"node {node}: no new federation of '{name}' started within {wait.TotalSeconds:F0} s; the latest, {global!.Ref}, had finished before this node started");
                return rounds;
            }
            if (!finished && global?.Federation is { } record && (done is null || done.Value.Id != record.Settings.Id || done.Value.Round < record.Round))
            {
                try
                { record.Settings.Validate(int.MaxValue); }
                catch (EdgeAiException e)
                { throw new EdgeAiException($"Node {node}: the federation's settings in {global!.Ref} cannot be used: {e.Message}", e); }
                if (node >= record.Settings.Nodes)
                    throw new EdgeAiException($"Node {node} is outside 0-{record.Settings.Nodes - 1}: federation {record.Settings.Id} of {name} has {record.Settings.Nodes} nodes.");
                var folders = new RoundFolders(store, name, record.Settings.Id);
                if (folders.List(record.Round).Any(u => u.Manifest is { } m && m.Node == node && m.BaseVersion == global.Version))
                    log($"node {node}: round {record.Round} already has this node's update (an earlier run of it); waiting for round {record.Round + 1}");
                else
                {
                    if (partition?.Id != record.Settings.Id)
                        partition = (record.Settings.Id, Federated.Partition.Parse(record.Settings.Partition)
                            .Indices(data.Labels, node, record.Settings.Nodes, record.Settings.Seed));
                    TrainRound(global, record, folders, partition.Value.Indices, cancel);
                    rounds++;
                }
                done = (record.Settings.Id, record.Round);
                waitingSince = DateTimeOffset.UtcNow;
                // Later rounds come as fast as the slowest node trains; give up only well after the round's own deadline.
                wait = TimeSpan.FromSeconds(Math.Max(wait.TotalSeconds, 2 * record.Settings.RoundTimeoutSeconds));
                continue;
            }
            if (DateTimeOffset.UtcNow - waitingSince > wait)
                throw new EdgeAiException(done is null
                    ? $"Node {node}: no federation of '{name}' appeared in {store.Root} within {wait.TotalSeconds:F0} s; start the aggregator (edgeai fed aggregate) with the same store."
                    : $"Node {node}: no round after {done.Value.Round} of '{name}' was published within {wait.TotalSeconds:F0} s; is the aggregator running?");
            await Task.Delay(Poll, cancel);
        }
    }

    void TrainRound(ModelManifest global, FederationRecord record, RoundFolders folders, int[] indices, CancellationToken cancel)
    {
        var settings = record.Settings;
        var local = data.Select(indices);
        using var loaded = store.Load(global.Ref);
        log($"node {node}: round {record.Round}: training {local.Count} images from {global.Ref}");
        var options = new TrainingOptions
        {
            Epochs = settings.LocalEpochs,
            BatchSize = Math.Min(settings.BatchSize, local.Count),
            LearningRate = settings.LearningRate,
            Seed = LocalSeed(settings.Seed, record.Round, node),
            Threads = Threads,
        };
        var result = Trainer.Continue(loaded.Model, local, options, settings.Mu, cancel: cancel);
        var last = result.Epochs[^1];
        var path = folders.Publish(loaded.Model, new UpdateManifest
        {
            FederationId = settings.Id,
            Round = record.Round,
            Node = node,
            BaseVersion = global.Version,
            Samples = local.Count,
            WeightsSha256 = "",
            WeightsBytes = 0,
            LocalLoss = last.Loss,
            LocalAccuracy = last.Accuracy,
            Seconds = result.Seconds,
            Origin = OriginInfo.Current(),
            CreatedUtc = DateTimeOffset.UtcNow,
        });
        log($"node {node}: round {record.Round}: trained {local.Count} images for {settings.LocalEpochs} epoch(s) in {result.Seconds:F1} s " +
            $"(local accuracy {last.Accuracy:P1}); published {path}");
    }

    /// <summary>Each node's shuffling differs, and is the same on every run of the same federation.</summary>
    public static long LocalSeed(long seed, int round, int node) => unchecked(seed * 1_000_003 + round * 1_009 + node) & long.MaxValue;

}
