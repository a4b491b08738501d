namespace EdgeAi.Core.Federated;

/// <summary>
/// A federation's settings, fixed when its round 0 is published and carried in every global version's manifest: the
/// workers read them from there, so a worker needs only its node index, the model's name and its data.
/// </summary>
public sealed record FederationSettings
{
    public const int MaxNodes = 256, MaxRounds = 1000;
    public const double MaxRoundTimeoutSeconds = 86_400;

    /// <summary>Tells this federation's updates from an earlier one's under the same name.</summary>
    public required string Id { get; init; }
    public int Nodes { get; init; } = 4;
    public int Rounds { get; init; } = 10;
    public int LocalEpochs { get; init; } = 1;
    public string Partition { get; init; } = "iid";
    public string Strategy { get; init; } = "fedavg";
    /// <summary>FedProx's proximal weight in each node's local step (0: plain local Adam).</summary>
    public double Mu { get; init; }
    public double? ServerLearningRate { get; init; }
    /// <summary>A round closes when every node's update is in, or at its deadline with at least this many.</summary>
    public int MinNodes { get; init; } = 1;
    public double RoundTimeoutSeconds { get; init; } = 300;
    public long Seed { get; init; }
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>The default of <see cref="MinNodes"/>: half the nodes, rounded up, so a round survives losing up to half of
    /// them at its deadline.</summary>
    public static int DefaultMinNodes(int nodes) => Math.Max(1, (nodes + 1) / 2);

    /// <summary>The partition, the strategy and every number checked; each bad value named with its range.</summary>
    public (Partition Partition, Strategy Strategy) Validate(int trainImages)
    {
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
                errors.Add(message);
        }
        Check(Nodes is >= 1 and <= MaxNodes, $"nodes {Nodes} is outside 1-{MaxNodes}");
        Check(Nodes <= trainImages / Federated.Partition.MinImagesPerNode || Nodes < 1,
              $"nodes {Nodes} is more than {trainImages} training images allow ({Federated.Partition.MinImagesPerNode} or more a node)");
        Check(Rounds is >= 1 and <= MaxRounds, $"rounds {Rounds} is outside 1-{MaxRounds}");
        Check(LocalEpochs is >= 1 and <= Training.TrainingOptions.MaxEpochs, $"local epochs {LocalEpochs} is outside 1-{Training.TrainingOptions.MaxEpochs}");
        Check(MinNodes >= 1 && MinNodes <= Math.Max(Nodes, 1), $"min nodes {MinNodes} is outside 1-{Nodes} (the nodes)");
        Check(RoundTimeoutSeconds is >= 1 and <= MaxRoundTimeoutSeconds, $"round timeout {RoundTimeoutSeconds} s is outside 1-{MaxRoundTimeoutSeconds} s");
        Check(Seed >= 0, $"seed {Seed} is negative; use 0 or more");
        Check(BatchSize >= 1 && BatchSize <= trainImages, $"batch size {BatchSize} is outside 1-{trainImages}");
        Check(LearningRate > 0 && LearningRate <= 1, $"learning rate {LearningRate} is outside (0, 1]");
        Partition? partition = null;
        Strategy? strategy = null;
        try
        { partition = Federated.Partition.Parse(Partition); }
        catch (EdgeAiException e) { errors.Add(e.Message.TrimEnd('.')); }
        try
        { strategy = Federated.Strategy.Create(Strategy, Mu, ServerLearningRate); }
        catch (EdgeAiException e) { errors.Add(e.Message.TrimEnd('.')); }
        if (errors.Count > 0)
            throw new EdgeAiException("Invalid federation options: " + string.Join("; ", errors) + ".");
        return (partition!, strategy!);
    }
}

/// <summary>
/// What a global version's manifest says of its place in a federation: its round, the version it was made from, and
/// exactly which updates it averaged (path relative to the store's root, SHA-256, sample count), so that anyone can
/// recompute it from the files; the server optimizer's state where the strategy keeps one; and every update that was
/// refused, with the reason.
/// </summary>
public sealed record FederationRecord(
    FederationSettings Settings,
    int Round,
    int? ParentVersion,
    IReadOnlyList<UpdateEntry> Updates,
    IReadOnlyList<RefusedUpdate> Refused,
    ServerStateEntry? ServerState,
    double? RoundSeconds);

public sealed record UpdateEntry(int Node, string Path, string Sha256, long Samples, double LocalLoss, double LocalAccuracy, double Seconds);

/// <summary>An update that was not averaged: late, a duplicate, damaged (checksum, shapes, NaN) or for another base.</summary>
public sealed record RefusedUpdate(string Path, string Reason);

/// <summary>The server optimizer's state after this round: a file of float32 vectors, named in order.</summary>
public sealed record ServerStateEntry(string Path, string Sha256, IReadOnlyList<string> Vectors);
