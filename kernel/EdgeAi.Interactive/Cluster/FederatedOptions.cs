using System.Globalization;
using System.IO.Hashing;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using EdgeAi.Core;

namespace EdgeAi.Interactive.Cluster;

/// <summary>
/// A federated run as <c>edgeai fed aggregate</c> takes it. The defaults are k8s/jobs/federated's: a run started from
/// the notebook with only a name is the run that kustomization applies (FederatedJobsTests holds them equal).
/// </summary>
public sealed partial record FederatedOptions(string Name)
{
    public int Nodes { get; init; } = 4;
    public int Rounds { get; init; } = 10;
    public int LocalEpochs { get; init; } = 1;
    /// <summary>iid, none, dirichlet:ALPHA or shards:K.</summary>
    public string Partition { get; init; } = "iid";
    /// <summary>fedavg, fedprox, fedavgm or fedadam.</summary>
    public string Strategy { get; init; } = "fedavg";
    /// <summary>FedProx's proximal weight; passed on only when set (the CLI has its own default).</summary>
    public double? Mu { get; init; }
    /// <summary>Updates a round needs before it is aggregated; unset, all nodes but one (a round survives one
    /// slow or lost node), and the workers' Job tolerates as many failed indexes as the round can do without.</summary>
    public int? MinNodes { get; init; }
    public int RoundTimeoutSeconds { get; init; } = 1800;
    public int Seed { get; init; } = 1;
    public string Image { get; init; } = DefaultImage;
    /// <summary>Unset: the namespace the kernel's pod runs in.</summary>
    public string? Namespace { get; init; }
    /// <summary>One worker per Raspberry Pi, arm64 nodes only (k8s/components/federated-spread).</summary>
    public bool Spread { get; init; }

    /// <summary>The image k8s/components/image pins: this release's tag, the version the assembly was built as.</summary>
    public static string DefaultImage { get; } = "ghcr.io/edgeai-cluster/edgeai-lab:" +
        typeof(FederatedOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    public int EffectiveMinNodes => MinNodes ?? Math.Max(1, Nodes - 1);

    /// <summary>A worker waits this long for the federation to start (the aggregator's pod may be scheduled later)
    /// and for each next global model: a round may itself wait a round timeout for a slow node.</summary>
    public int WorkerTimeoutSeconds => Math.Min(2 * RoundTimeoutSeconds, MaxTimeoutSeconds);

    // edgeai fed's own limits (its FederationSettings), checked here before anything is created.
    public const int MaxNodes = 256, MaxRounds = 1000, MaxTimeoutSeconds = 86_400;
    // An Indexed Job's pods are named and hostnamed JOB-INDEX: the workers' name leaves room for "-255".
    const int MaxLabel = 63, Prefix = 11 /* "edgeai-fed-" */, LongestSuffix = 12 /* "-workers-255" */;

    /// <summary>"edgeai-fed-" and the name as a DNS-1123 label; a name that had to be changed or shortened gets a
    /// hash of itself, so two names never share Jobs.</summary>
    public string JobStem
    {
        get
        {
            var label = NotLabel().Replace(Name.ToLowerInvariant(), "-").Trim('-');
            var stem = "edgeai-fed-" + label;
            if (label == Name && stem.Length <= MaxLabel - LongestSuffix)
                return stem;
            var hash = Convert.ToHexStringLower(XxHash32.Hash(Encoding.UTF8.GetBytes(Name)));
            var keep = MaxLabel - LongestSuffix - Prefix - hash.Length - 1;
            label = label.Length > keep ? label[..keep].TrimEnd('-') : label;
            return label.Length == 0 ? $"edgeai-fed-{hash}" : $"edgeai-fed-{label}-{hash}";
        }
    }

    public string WorkersJob => JobStem + "-workers";
    public string AggregatorJob => JobStem + "-aggregator";

    /// <summary>Throws naming the first value <c>edgeai fed aggregate</c> would refuse, before anything is created.</summary>
    public void Validate()
    {
        static EdgeAiException Bad(string what) => new($"Federated training: {what}.");
        if (!RunName().IsMatch(Name))
            throw Bad($"the name '{Name}' is not a store name: 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (Nodes is < 1 or > MaxNodes)
            throw Bad($"nodes is {Nodes}; it must be 1 to {MaxNodes}");
        if (Rounds is < 1 or > MaxRounds)
            throw Bad($"rounds is {Rounds}; it must be 1 to {MaxRounds}");
        if (LocalEpochs < 1)
            throw Bad($"local epochs is {LocalEpochs}; it must be at least 1");
        if (!PartitionSpec().IsMatch(Partition))
            throw Bad($"the partition '{Partition}' is none of iid, none, dirichlet:ALPHA (ALPHA > 0) or shards:K (K >= 1)");
        if (Strategy is not ("fedavg" or "fedprox" or "fedavgm" or "fedadam"))
            throw Bad($"the strategy '{Strategy}' is none of fedavg, fedprox, fedavgm or fedadam");
        if (Mu is { } mu && !(mu is >= 0 and <= 10))
            throw Bad($"mu is {mu}; it must be 0 to 10");
        if (EffectiveMinNodes < 1 || EffectiveMinNodes > Nodes)
            throw Bad($"min-nodes is {EffectiveMinNodes}; it must be 1 to the {Nodes} nodes");
        if (RoundTimeoutSeconds is < 1 or > MaxTimeoutSeconds)
            throw Bad($"the round timeout is {RoundTimeoutSeconds} s; it must be 1 to {MaxTimeoutSeconds} s");
        if (Seed < 0)
            throw Bad($"the seed is {Seed}; it must be 0 or more");
        if (string.IsNullOrWhiteSpace(Image))
            throw Bad("no image is given");
    }

    /// <summary><c>edgeai fed aggregate</c>'s arguments, in the order of k8s/jobs/federated/aggregator.yaml.</summary>
    public IList<string> AggregatorCommand()
    {
        var command = new List<string> { "edgeai", "fed", "aggregate", "--name", Name, "--nodes", Invariant(Nodes), "--rounds", Invariant(Rounds),
            "--local-epochs", Invariant(LocalEpochs), "--partition", Partition, "--strategy", Strategy };
        if (Mu is { } mu)
            command.AddRange(["--mu", mu.ToString("R", CultureInfo.InvariantCulture)]);
        command.AddRange(["--min-nodes", Invariant(EffectiveMinNodes), "--round-timeout", Invariant(RoundTimeoutSeconds), "--seed", Invariant(Seed)]);
        return command;
    }

    /// <summary><c>edgeai fed worker</c>'s arguments: the node is the Indexed Job's JOB_COMPLETION_INDEX.</summary>
    public IList<string> WorkerCommand() => ["edgeai", "fed", "worker", "--name", Name, "--timeout", Invariant(WorkerTimeoutSeconds)];

    static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex NotLabel();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,63}\z")]   // the store's model names
    private static partial Regex RunName();

    [GeneratedRegex(@"^(iid|none|dirichlet:(?=[0-9.]*[1-9])[0-9]+(\.[0-9]+)?|shards:[1-9][0-9]*)$")]
    private static partial Regex PartitionSpec();
}
