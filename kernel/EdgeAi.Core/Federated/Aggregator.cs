using System.Diagnostics;
using EdgeAi.Core.Data;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;

namespace EdgeAi.Core.Federated;

/// <summary>One node's part in a closed round, as the live view shows it.</summary>
public sealed record NodeResult(int Node, long Samples, double LocalLoss, double LocalAccuracy, double Seconds);

/// <summary>A closed round: the global model it published and who took part.</summary>
public sealed record RoundSummary(
    int Round, int Rounds, ModelManifest Global, double TestAccuracy, IReadOnlyList<NodeResult> Nodes,
    IReadOnlyList<RefusedUpdate> Refused, double RoundSeconds, double AggregateSeconds, double PublishSeconds)
{
    /// <summary>Of the round's time, what was not the slowest node's local training: waiting for the store, loading,
    /// publishing and aggregating.</summary>
    public double OverheadShare => RoundSeconds <= 0 || Nodes.Count == 0 ? double.NaN
        : Math.Max(0, RoundSeconds - Nodes.Max(n => n.Seconds)) / RoundSeconds;
}

/// <summary>
/// The server side of a federation, through the store only. It publishes round 0's global model (seeded), then, for each
/// round, waits for the nodes' updates, averages them with the strategy, and publishes the next global model as a new
/// version whose manifest names exactly the updates it averaged. It keeps no state of its own: killed at any point and
/// started again with the same settings, it resumes from the last global version, and publishes each round once.
/// </summary>
public sealed class Aggregator
{
    // NFS has no inotify, so the store is polled: one folder listing a tenth of a second per node is a few hundred
    // bytes of READDIR, and it bounds what waiting adds to a round.
    /// <summary>A node's sample count above this is refused: it would outweigh every real node.</summary>
    public const long MaxSamples = 1_000_000_000;
    const int MaxRefusalsRecorded = 100;

    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    readonly WeightStore store;
    readonly string name;
    readonly MnistDataset dataset;
    readonly Action<string> log;

    public Aggregator(WeightStore store, string name, MnistDataset dataset, Action<string>? log = null)
    {
        ModelRef.ValidateName(name);
        // Every round's global version is kept: a federation's history is its manifests.
        this.store = new WeightStore(store.Root) { KeepVersions = int.MaxValue };
        (this.name, this.dataset, this.log) = (name, dataset, log ?? (_ => { }));
    }

    /// <summary>Runs (or resumes) the federation that <paramref name="settings"/> describe (its Id is ignored: a new
    /// federation gets a new one) to its last round; returns the final global version's manifest.
    /// <paramref name="opened"/> gets the global version the nodes train first (round 0's, or the one resumed).</summary>
    public async Task<ModelManifest> RunAsync(FederationSettings settings, Action<RoundSummary>? roundClosed = null,
                                              CancellationToken cancel = default, Action<ModelManifest>? opened = null)
    {
        var (partition, strategy) = settings.Validate(dataset.Train.Count);
        // Each node's part of the data the aggregator has, before anything is published: a partition that leaves a
        // node without images fails here, not in a worker after round 0 (nodes with data of their own check theirs).
        for (var node = 0; node < settings.Nodes && partition.Kind != PartitionKind.None; node++)
            partition.Indices(dataset.Train.Labels, node, settings.Nodes, settings.Seed);
        // What the nodes train with is what the manifest records: fedprox's default mu included.
        settings = settings with { Mu = strategy.Mu };
        store.RequireWritable(name);
        var current = Resumable(settings) ?? Start(settings);
        opened?.Invoke(current);
        var record = current.Federation!;
        var folders = new RoundFolders(store, name, record.Settings.Id);
        var started = DateTimeOffset.UtcNow;
        while (record.Round < record.Settings.Rounds)
        {
            cancel.ThrowIfCancellationRequested();
            var (next, summary) = await CloseRoundAsync(current, folders, strategy, started, cancel);
            current = next;
            record = current.Federation!;
            roundClosed?.Invoke(summary);
        }
        return current;
    }

    /// <summary>The latest version, when it is this federation's (same settings) and not finished.</summary>
    ModelManifest? Resumable(FederationSettings settings)
    {
        // The newest version, not latest: an aggregator killed between publishing a round and moving latest left
        // latest one round behind; the nodes follow latest, so it is moved on first.
        var latest = store.FindNewest(name);
        if (latest is not null && store.FindLatest(name)?.Version != latest.Version)
        {
            store.CatchUpLatest(name);
            log($"latest of {name} moved on to {latest.Ref}, which an earlier aggregator published before it stopped");
        }
        if (latest?.Federation is not { } record || record.Round >= record.Settings.Rounds)
            return null;
        if (record.Settings with { Id = "" } != settings with { Id = "" })
            return null;
        log($"resuming federation {record.Settings.Id} of {name} at round {record.Round} ({latest.Ref})");
        return latest;
    }

    ModelManifest Start(FederationSettings settings)
    {
        settings = settings with { Id = Guid.NewGuid().ToString("N")[..16] };
        using var model = new MnistMlp(settings.Seed);
        var evaluation = Evaluator.Evaluate(model, dataset.Test);
        var record = new FederationRecord(settings, 0, null, [], [], null, null);
        var manifest = store.Save(name, model, Provenance(evaluation, record));
        log($"federation {settings.Id}: round 0's global model is {manifest.Ref} (seed {settings.Seed}); " +
            $"{settings.Nodes} nodes, {settings.Rounds} rounds, partition {settings.Partition}, strategy {settings.Strategy}");
        return manifest;
    }

    async Task<(ModelManifest Next, RoundSummary Summary)> CloseRoundAsync(
        ModelManifest global, RoundFolders folders, Strategy strategy, DateTimeOffset started, CancellationToken cancel)
    {
        var record = global.Federation!;
        var settings = record.Settings;
        var round = record.Round;
        // A resumed aggregator gives the nodes a full timeout again: the old deadline may have passed while it was down.
        var timeout = TimeSpan.FromSeconds(settings.RoundTimeoutSeconds);
        var deadline = Max(global.CreatedUtc + timeout, started + timeout);
        var checkedUpdates = new Dictionary<string, (float[]? Weights, string? Problem)>();
        List<(FoundUpdate Update, float[] Weights)> accepted;
        List<RefusedUpdate> refused;
        while (true)
        {
            (accepted, refused) = Sort(folders, folders.List(round), global, checkedUpdates);
            if (accepted.Count == settings.Nodes)
                break;
            if (DateTimeOffset.UtcNow >= deadline)
            {
                if (accepted.Count >= settings.MinNodes)
                {
                    log($"round {round}: deadline reached with {accepted.Count} of {settings.Nodes} updates (at least {settings.MinNodes} needed); closing it");
                    break;
                }
                throw new EdgeAiException(
                    $"Round {round} of {name} reached its deadline ({settings.RoundTimeoutSeconds} s) with {accepted.Count} of {settings.Nodes} updates; " +
                    $"at least {settings.MinNodes} (--min-nodes) are needed. Nothing was published; start the missing workers " +
                    "and run the aggregator again: it resumes this round.");
            }
            await Task.Delay(Poll, cancel);
        }

        var clock = Stopwatch.StartNew();
        refused.AddRange(Late(folders, round, global));
        var ordered = accepted.OrderBy(a => a.Update.Manifest!.Node).ToList();
        var globalWeights = GlobalWeights(global);
        var state = folders.ReadState(record.ServerState);
        var (weights, nextState) = strategy.Aggregate(globalWeights,
            [.. ordered.Select(a => new WeightedUpdate(a.Weights, a.Update.Manifest!.Samples))], state);
        // Another aggregator of this federation may have published this round meanwhile: never publish a round twice,
        // and never replace the state file a published round names.
        if (store.FindNewest(name) is { Federation: { } already } published && already.Settings.Id == settings.Id && already.Round == round + 1)
        {
            log($"round {round + 1} was published as {published.Ref} meanwhile; going on from there");
            return (published, new RoundSummary(round + 1, settings.Rounds, published, published.Metrics?.TestAccuracy ?? double.NaN, [],
                                                already.Refused, (published.CreatedUtc - global.CreatedUtc).TotalSeconds, 0, 0));
        }
        var stateEntry = nextState.Vectors.Count > 0 ? folders.WriteState(round + 1, nextState) : null;
        var aggregateSeconds = clock.Elapsed.TotalSeconds;

        using var model = new MnistMlp();
        FlatWeights.Load(model, weights);
        model.eval();
        var evaluation = Evaluator.Evaluate(model, dataset.Test);
        var roundSeconds = (DateTimeOffset.UtcNow - global.CreatedUtc).TotalSeconds;
        var entries = ordered.Select(a => a.Update.Manifest!).Zip(ordered, (m, a) => new UpdateEntry(
            m.Node, Path.Combine(a.Update.RelativeFolder, ModelManifest.WeightsFile), m.WeightsSha256, m.Samples, m.LocalLoss, m.LocalAccuracy, m.Seconds)).ToList();
        var nextRecord = new FederationRecord(settings, round + 1, global.Version, entries, refused, stateEntry, roundSeconds);

        var publish = Stopwatch.StartNew();
        log($"round {round + 1}: averaged {entries.Count} updates ({string.Join(", ", entries.Select(e => $"node {e.Node}: {e.Samples}"))}); publishing");
        var next = store.Save(name, model, Provenance(evaluation, nextRecord));
        var summary = new RoundSummary(round + 1, settings.Rounds, next, evaluation.Accuracy,
            [.. ordered.Select(a => a.Update.Manifest!).Select(m => new NodeResult(m.Node, m.Samples, m.LocalLoss, m.LocalAccuracy, m.Seconds))],
            refused, roundSeconds, aggregateSeconds, publish.Elapsed.TotalSeconds);
        log($"round {round + 1} of {settings.Rounds}: {next.Ref}, test accuracy {evaluation.Accuracy:P2}, {entries.Count} of {settings.Nodes} nodes, " +
            $"{roundSeconds:F1} s" + (refused.Count > 0 ? $", {refused.Count} update(s) refused" : ""));
        return (next, summary);
    }

    /// <summary>The first valid update of each node for this round's global version, and every other one with why it was refused.</summary>
    static (List<(FoundUpdate, float[])> Accepted, List<RefusedUpdate> Refused) Sort(
        RoundFolders folders, IReadOnlyList<FoundUpdate> found, ModelManifest global,
        Dictionary<string, (float[]? Weights, string? Problem)> checkedUpdates)
    {
        var record = global.Federation!;
        var accepted = new List<(FoundUpdate, float[])>();
        var refused = new List<RefusedUpdate>();
        var seen = new HashSet<int>();
        foreach (var update in found)
        {
            var path = Path.Combine(update.RelativeFolder, ModelManifest.WeightsFile);
            var manifest = update.Manifest;
            string? problem = update.Problem;
            if (problem is null && manifest is not null)
            {
                if (manifest.FederationId != record.Settings.Id || manifest.Round != record.Round)
                    problem = $"it is for federation {manifest.FederationId} round {manifest.Round}, not {record.Settings.Id} round {record.Round}";
                else if (manifest.BaseVersion != global.Version)
                    problem = $"it was trained from v{manifest.BaseVersion}, not from this round's global model v{global.Version}";
                else if (manifest.Node < 0 || manifest.Node >= record.Settings.Nodes)
                    problem = $"node {manifest.Node} is outside 0-{record.Settings.Nodes - 1}";
                else if (manifest.Samples is < 1 or > MaxSamples)
                    problem = $"it claims {manifest.Samples} samples (1-{MaxSamples:N0} allowed)";
                else if (seen.Contains(manifest.Node))
                    problem = $"a duplicate: node {manifest.Node} published an earlier update for this round";
            }
            if (problem is null)
            {
                if (!checkedUpdates.TryGetValue(update.RelativeFolder, out var result))
                {
                    try
                    { result = (folders.ReadWeights(update), null); }
                    catch (Exception e) when (e is EdgeAiException or IOException or UnauthorizedAccessException)
                    { result = (null, Printable.Of(e.Message)); }
                    checkedUpdates[update.RelativeFolder] = result;
                }
                problem = result.Problem;
                if (problem is null)
                {
                    seen.Add(manifest!.Node);
                    accepted.Add((update, result.Weights!));
                    continue;
                }
            }
            // Another node's words: printable, bounded, and no more of them than a manifest can hold.
            if (refused.Count < MaxRefusalsRecorded)
                refused.Add(new RefusedUpdate(path, Printable.Of(problem!.Length > 300 ? problem[..300] + "…" : problem)));
            else if (refused.Count == MaxRefusalsRecorded)
                refused.Add(new RefusedUpdate(Path.GetDirectoryName(path) ?? path, "and more refused updates in this round, not listed"));
        }
        return (accepted, refused);
    }

    /// <summary>Updates of the previous round that arrived after it closed: recorded, never averaged.</summary>
    IEnumerable<RefusedUpdate> Late(RoundFolders folders, int round, ModelManifest global)
    {
        if (round == 0 || global.Federation is not { ParentVersion: not null } record)
            yield break;
        var known = record.Updates.Select(u => u.Path).Concat(record.Refused.Select(r => r.Path)).ToHashSet();
        foreach (var update in folders.List(round - 1))
        {
            var path = Path.Combine(update.RelativeFolder, ModelManifest.WeightsFile);
            if (!known.Contains(path))
                yield return new RefusedUpdate(path, $"late: it arrived after round {round - 1} closed");
        }
    }

    float[] GlobalWeights(ModelManifest global)
    {
        using var loaded = store.Load(global.Ref);
        return FlatWeights.Of(loaded.Model);
    }


    Provenance Provenance(EvaluationResult evaluation, FederationRecord record) => new(
        new DatasetInfo(dataset.Name, dataset.Train.Count, dataset.Test.Count),
        null,
        MetricsInfo.From(evaluation.Accuracy, evaluation.PerClassAccuracy),
        record);

    static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
