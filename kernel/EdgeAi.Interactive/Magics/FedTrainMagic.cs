using EdgeAi.Core;
using EdgeAi.Core.Federated;
using EdgeAi.Core.Store;
using EdgeAi.Interactive.Rendering;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!fed-train: a federation of N nodes in this kernel, each on its own part of the data, meeting only in the
/// store; a live table per round; the final global model saved as NAME and loaded for the next cells.</summary>
public sealed class FedTrainCommand : MagicCommand
{
    public const string DefaultName = "mnist-fed";

    public string? Nodes { get; set; }
    public string? Rounds { get; set; }
    public string? LocalEpochs { get; set; }
    public string? Partition { get; set; }
    public string? Strategy { get; set; }
    public string? Mu { get; set; }
    public string? MinNodes { get; set; }
    public string? RoundTimeout { get; set; }
    public string? Seed { get; set; }
    public string? Data { get; set; }
    public string Name { get; set; } = DefaultName;
    public bool Processes { get; set; }

    internal FederationSettings Settings(List<string> errors)
    {
        var text = new OptionText(errors);
        var defaults = new FederationSettings { Id = "" };
        var nodes = text.Int(Nodes, "--nodes", defaults.Nodes, $"1-{FederationSettings.MaxNodes}");
        return new FederationSettings
        {
            Id = "",
            Nodes = nodes,
            Rounds = text.Int(Rounds, "--rounds", defaults.Rounds, $"1-{FederationSettings.MaxRounds}"),
            LocalEpochs = text.Int(LocalEpochs, "--local-epochs", defaults.LocalEpochs, "1-100"),
            Partition = Partition ?? defaults.Partition,
            Strategy = Strategy ?? defaults.Strategy,
            Mu = text.Double(Mu, "--mu", defaults.Mu, "a number in 0-10 such as 0.01"),
            MinNodes = text.Int(MinNodes, "--min-nodes", FederationSettings.DefaultMinNodes(nodes), "1 up to --nodes"),
            RoundTimeoutSeconds = text.Double(RoundTimeout, "--round-timeout", defaults.RoundTimeoutSeconds, $"seconds, 1-{FederationSettings.MaxRoundTimeoutSeconds}"),
            Seed = text.Long(Seed, "--seed", "a whole number from 0") ?? defaults.Seed,
        };
    }

    public override IEnumerable<string> GetValidationErrors(CompositeKernel kernel)
    {
        var errors = new List<string>();
        var settings = Settings(errors);
        Magic.Check(errors, () => settings.Validate(int.MaxValue));
        Magic.Check(errors, () => ModelRef.ValidateName(Name));
        return Magic.AllAtOnce(errors);
    }
}

static class FedTrainMagic
{
    public static void Register(Kernel kernel)
    {
        var d = new FederationSettings { Id = "" };
        var directive = new KernelActionDirective("#!fed-train")
        {
            Description = "Federated training: N nodes each train on their own part of the data, only weights travel (through the store); the global model is saved as NAME",
            Parameters =
            [
                new("--nodes", $"Nodes, 1-{FederationSettings.MaxNodes} (default {d.Nodes})") { TypeHint = "number" },
                new("--rounds", $"Rounds of local training and averaging, 1-{FederationSettings.MaxRounds} (default {d.Rounds})") { TypeHint = "number" },
                new("--local-epochs", $"Epochs each node trains per round (default {d.LocalEpochs})") { TypeHint = "number" },
                new KernelDirectiveParameter("--partition", $"How the nodes split the images: {Core.Federated.Partition.Allowed} (default {d.Partition})") { TypeHint = "SCHEME" }
                    .AddCompletions(() => ["iid", "dirichlet:0.5", "dirichlet:0.1", "shards:2", "none"]),
                new KernelDirectiveParameter("--strategy", $"Aggregation: {Core.Federated.Strategy.Allowed} (default {d.Strategy})") { TypeHint = "NAME" }
                    .AddCompletions(() => ["fedavg", "fedprox", "fedavgm", "fedadam"]),
                new("--mu", $"FedProx's proximal weight in each local step, 0-10 (fedprox's default {FedAvg.DefaultProximalMu})") { TypeHint = "number" },
                new("--min-nodes", "Updates a round needs at its deadline (default: half the nodes, rounded up)") { TypeHint = "number" },
                new("--round-timeout", $"Seconds a round waits for every node (default {d.RoundTimeoutSeconds})") { TypeHint = "number" },
                new("--seed", $"Seeds round 0's weights, the partition and the nodes' shuffling (default {d.Seed})") { TypeHint = "number" },
                new("--processes", $"Each node a process of its own (edgeai fed worker, from {WorkerProcess.CommandVariable} or PATH), as on a cluster; each with its own libtorch and copy of the data") { Flag = true },
                new("--data", "Directory of the MNIST IDX files the nodes split (default: EDGEAI_DATA_DIR, the image's copy, or a download)") { TypeHint = "DIR" },
                new KernelDirectiveParameter("--name", $"The global model's name in the store (default {FedTrainCommand.DefaultName})") { TypeHint = "NAME" }
                    .AddCompletions(() => Mnist.VersionsForCompletion().Where(v => v.Manifest.Federation is not null).Select(v => v.Manifest.Name).Distinct()),
                Magic.HelpParameter(),
            ],
        };
        Magic.Add<FedTrainCommand>(kernel, directive, HandleAsync,
            "The rounds published before it stay in the store, each complete; run the same cell again to resume the federation.");
    }

    static async Task HandleAsync(FedTrainCommand command, KernelInvocationContext context, CancellationToken cancel)
    {
        var lab = await Mnist.ForDataAsync(command.Data, cancel);
        var settings = command.Settings([]);
        var rounds = new List<RoundSummary>();
        // Threads of this kernel share one libtorch and one copy of the data, which a pod's memory limit is sized for;
        // --processes gives each node a process of its own, as on a cluster. Either way they meet only in the store.
        var workers = command.Processes
            ? WorkerProcess.FindCommand() ?? throw new EdgeAiException(
                $"--processes needs the edgeai command: it is not on PATH and {WorkerProcess.CommandVariable} is not set; set it to the edgeai program (or its .dll), or leave --processes out to run the nodes as threads.")
            : null;
        var nodesAre = workers is null ? "threads of this kernel" : $"processes ({string.Join(' ', workers.Select(Path.GetFileName))} fed worker)";
        var view = context.ShowHtml(HtmlViews.Federation(settings, lab.Dataset, rounds, nodesAre));
        var final = await FederatedRun.RunAsync(lab.Store, command.Name, lab.Dataset, settings, round =>
        {
            lock (rounds)
            {
                rounds.Add(round);
                view.Update(HtmlViews.Federation(settings, lab.Dataset, rounds, nodesAre));
            }
        }, cancel: cancel, workerCommand: workers);

        var loaded = lab.Load(final.Ref);
        Mnist.Use(loaded.Model, loaded.Manifest);
        context.ShowChart(IsolatedCharts.FederatedAccuracy([.. rounds.Select(r => r.Round)], [.. rounds.Select(r => r.TestAccuracy)], $"Federated {final.Ref}"));
        context.ShowHtml(HtmlViews.FederatedSaved(final, lab.Store.Root));
    }
}
