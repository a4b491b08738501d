using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using EdgeAi.Core;
using EdgeAi.Core.Data;
using EdgeAi.Core.Federated;
using EdgeAi.Core.Store;
using EdgeAi.Core.Training;

namespace EdgeAi.Cli;

/// <summary><c>edgeai fed run|worker|aggregate</c>: a federation on this machine, and the two pieces a Job runs.</summary>
static class FedCommands
{
    /// <summary>The Indexed Job's node index, when <c>--node</c> is not given.</summary>
    public const string NodeIndexVariable = "JOB_COMPLETION_INDEX";

    static readonly Option<string?> Data = new("--data") { Description = $"This node's MNIST IDX files (default: ${DatasetLocator.EnvironmentVariable}, the image's copy, or a download)" };
    static readonly Option<string?> Store = new("--store") { Description = $"Weight store directory, shared by every node (default: ${WeightStore.EnvironmentVariable}, {WeightStore.ReportStoreRoot} when {WeightStore.ReportMountPath} is mounted, or ~/.local/share/edgeai/books)" };
    static readonly Option<string> Name = new("--name") { Description = "The federated model's name in the store", DefaultValueFactory = _ => DefaultName };

    public static string DefaultName => ModelRef.DefaultName + "-fed";

    public static Command Fed() => new("fed", "Federated training: nodes train on their own data, only weights travel (through the store)")
    {
        Run(), Worker(), Aggregate(),
    };

    sealed record SettingsOptions(Option<int> Nodes, Option<int> Rounds, Option<int> LocalEpochs, Option<string> Partition, Option<string> Strategy,
                                  Option<double> Mu, Option<double?> ServerRate, Option<int?> MinNodes, Option<double> RoundTimeout,
                                  Option<long> Seed, Option<int> BatchSize, Option<double> LearningRate)
    {
        public IEnumerable<Option> All => [Nodes, Rounds, LocalEpochs, Partition, Strategy, Mu, ServerRate, MinNodes, RoundTimeout, Seed, BatchSize, LearningRate];

        public FederationSettings Read(ParseResult parse)
        {
            var nodes = parse.GetValue(Nodes);
            return new FederationSettings
            {
                Id = "",
                Nodes = nodes,
                Rounds = parse.GetValue(Rounds),
                LocalEpochs = parse.GetValue(LocalEpochs),
                Partition = parse.GetValue(Partition)!,
                Strategy = parse.GetValue(Strategy)!,
                Mu = parse.GetValue(Mu),
                ServerLearningRate = parse.GetValue(ServerRate),
                MinNodes = parse.GetValue(MinNodes) ?? FederationSettings.DefaultMinNodes(nodes),
                RoundTimeoutSeconds = parse.GetValue(RoundTimeout),
                Seed = parse.GetValue(Seed),
                BatchSize = parse.GetValue(BatchSize),
                LearningRate = parse.GetValue(LearningRate),
            };
        }
    }

    static SettingsOptions Settings()
    {
        var d = new FederationSettings { Id = "" };
        return new SettingsOptions(
            new("--nodes") { Description = $"Nodes that train (1-{FederationSettings.MaxNodes})", DefaultValueFactory = _ => d.Nodes },
            new("--rounds") { Description = $"Rounds of local training and averaging (1-{FederationSettings.MaxRounds})", DefaultValueFactory = _ => d.Rounds },
            new("--local-epochs") { Description = $"Epochs each node trains per round (1-{TrainingOptions.MaxEpochs})", DefaultValueFactory = _ => d.LocalEpochs },
            new("--partition") { Description = $"How the nodes split the training images: {Partition.Allowed}", DefaultValueFactory = _ => d.Partition },
            new("--strategy") { Description = $"Aggregation: {Strategy.Allowed}", DefaultValueFactory = _ => d.Strategy },
            new("--mu") { Description = $"FedProx's proximal weight in the local step (0-10; fedprox's default {FedAvg.DefaultProximalMu})", DefaultValueFactory = _ => d.Mu },
            new("--server-learning-rate") { Description = $"Server step for fedavgm (default {FedAvgM.DefaultLearningRate}) and fedadam (default {FedAdam.DefaultLearningRate})" },
            new("--min-nodes") { Description = "Updates a round needs at its deadline (default: half the nodes, rounded up)" },
            new("--round-timeout") { Description = $"Seconds a round waits for every node before it closes with --min-nodes (1-{FederationSettings.MaxRoundTimeoutSeconds})", DefaultValueFactory = _ => d.RoundTimeoutSeconds },
            new("--seed") { Description = "Seeds round 0's weights, the partition and each node's shuffling", DefaultValueFactory = _ => d.Seed },
            new("--batch-size") { Description = "Images per local step", DefaultValueFactory = _ => d.BatchSize },
            new("--learning-rate") { Description = "Local Adam learning rate (0-1]", DefaultValueFactory = _ => d.LearningRate });
    }

    static Command Run()
    {
        var settings = Settings();
        var command = new Command("run", "Run a whole federation on this machine (the aggregator and one worker per node, sharing the store) and leave the global model as NAME");
        foreach (var option in settings.All.Concat([Data, Store, Name]))
            command.Options.Add(option);
        command.SetAction(async (parse, cancel) =>
        {
            var store = WeightStore.Open(parse.GetValue(Store));
            var dataset = await new DatasetLocator().LoadAsync(parse.GetValue(Data), cancel);
            var final = await FederatedRun.RunAsync(store, parse.GetValue(Name)!, dataset, settings.Read(parse), PrintRound, Console.WriteLine, cancel);
            PrintFinal(final);
            return 0;
        });
        return command;
    }

    static Command Aggregate()
    {
        var settings = Settings();
        var command = new Command("aggregate", "The federation's server: publish round 0, then average each round's updates into the next global version (resumes after a restart)");
        foreach (var option in settings.All.Concat([Data, Store, Name]))
            command.Options.Add(option);
        command.SetAction(async (parse, cancel) =>
        {
            var dataset = await new DatasetLocator().LoadAsync(parse.GetValue(Data), cancel);
            var aggregator = new Aggregator(WeightStore.Open(parse.GetValue(Store)), parse.GetValue(Name)!, dataset, Console.WriteLine);
            PrintFinal(await aggregator.RunAsync(settings.Read(parse), PrintRound, cancel));
            return 0;
        });
        return command;
    }

    static Command Worker()
    {
        var node = new Option<int?>("--node") { Description = $"This node's index, from 0 (default: ${NodeIndexVariable}, which an Indexed Job sets)" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the federation to start, and at least that for each next round", DefaultValueFactory = _ => 600 };
        var threads = new Option<int>("--threads") { Description = $"Training threads (1-{TrainingOptions.MaxThreads})", DefaultValueFactory = _ => 1 };
        var command = new Command("worker", "One node: follow the store's global model, train it on this node's data each round, publish the update") { node, timeout, threads, Data, Store, Name };
        command.SetAction(async (parse, cancel) =>
        {
            var index = parse.GetValue(node) ?? NodeFromEnvironment();
            var wait = parse.GetValue(timeout);
            if (!(wait is >= 1 and <= FederationSettings.MaxRoundTimeoutSeconds))
                throw new EdgeAiException($"timeout {wait} s is outside 1-{FederationSettings.MaxRoundTimeoutSeconds} s.");
            var count = parse.GetValue(threads);
            if (count < 1 || count > TrainingOptions.MaxThreads)
                throw new EdgeAiException($"threads {count} is outside 1-{TrainingOptions.MaxThreads} (the cores this process may use).");
            var dataset = await new DatasetLocator().LoadAsync(parse.GetValue(Data), cancel);
            var worker = new Core.Federated.Worker(WeightStore.Open(parse.GetValue(Store)), parse.GetValue(Name)!, index, dataset.Train, Console.WriteLine) { Threads = count };
            var rounds = await worker.RunAsync(TimeSpan.FromSeconds(wait), cancel);
            Console.WriteLine($"node {index}: took part in {rounds} round(s)");
            return 0;
        });
        return command;
    }

    static int NodeFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(NodeIndexVariable);
        if (string.IsNullOrEmpty(text))
            throw new EdgeAiException($"No node index: pass --node I (0 for the first node), or set {NodeIndexVariable} (an Indexed Job does).");
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            throw new EdgeAiException($"{NodeIndexVariable} is '{Printable.Of(text)}', not a node index (0, 1, 2, ...).");
        return index;
    }

    static void PrintRound(RoundSummary round) =>
        Console.WriteLine($"round {round.Round}/{round.Rounds}: test accuracy {round.TestAccuracy:P2}; nodes " +
                          string.Join(", ", round.Nodes.Select(n => $"{n.Node} ({n.Samples} images, local {n.LocalAccuracy:P1})")) +
                          $"; {round.RoundSeconds:F1} s, aggregation {round.AggregateSeconds * 1000:F0} ms, overhead {round.OverheadShare:P0} of the round" +
                          (round.Refused.Count > 0 ? $"; refused: {string.Join("; ", round.Refused.Select(r => $"{r.Path}: {r.Reason}"))}" : ""));

    static void PrintFinal(ModelManifest final) =>
        Console.WriteLine($"federated model {final.Ref}: test accuracy {final.Metrics?.TestAccuracy:P2} after {final.Federation?.Round} round(s); load it with #!mnist-load {final.Ref}");
}
