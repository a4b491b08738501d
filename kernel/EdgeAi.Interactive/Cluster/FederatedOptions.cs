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

    public const int MaxNodes = Core.Federated.FederationSettings.MaxNodes, MaxRounds = Core.Federated.FederationSettings.MaxRounds,
        MaxTimeoutSeconds = (int)Core.Federated.FederationSettings.MaxRoundTimeoutSeconds;
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

    /// <summary>The run's settings as the core checks them (the aggregator records them in round 0's manifest).</summary>
    public Core.Federated.FederationSettings Settings => new()
    {
        Id = "",
        Nodes = Nodes,
        Rounds = Rounds,
        LocalEpochs = LocalEpochs,
        Partition = Partition,
        Strategy = Strategy,
        Mu = Mu ?? 0,
        MinNodes = EffectiveMinNodes,
        RoundTimeoutSeconds = RoundTimeoutSeconds,
        Seed = Seed,
    };

    /// <summary>Throws, naming every value <c>edgeai fed aggregate</c> would refuse, before anything is created: the
    /// core's own checks, so the Jobs and the CLI cannot disagree.</summary>
    public void Validate()
    {
        Core.Store.ModelRef.ValidateName(Name);
        Settings.Validate(int.MaxValue);   // the data's size is the aggregator's to check
        if (string.IsNullOrWhiteSpace(Image))
            throw new EdgeAiException("Federated training: no image is given.");
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

}
