using System.Diagnostics;
using EdgeAi.Core.Data;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Federated;
using EdgeAi.Core.Store;
using EdgeAi.Core.Training;

/// <summary>
/// `./lab bench --federated`: federations of 4 nodes on the 60k Fashion-MNIST images, each against centralised training
/// of the same MLP with the same seed in the same run (3 epochs, batch 32): IID, Dirichlet 0.5 (FedAvg and FedProx) and
/// the pathological shards:2 split (FedAvg, FedProx, FedAvgM, FedAdam); the time to aggregate 4 updates and the share of
/// each round that is not local training. Prints every figure and whether each target of docs/federated.md is met.
/// </summary>
static class FederatedBenchmark
{
    const int Nodes = 4, Seed = 1;

    public static async Task<int> RunAsync(string data)
    {
        var dataset = MnistDataset.Load(data);
        EdgeAi.Core.Native.TorchNative.EnsureLoaded();
        TorchSharp.torch.set_num_threads(1);   // the nodes of a federation on one machine share its cores
        var clock = Stopwatch.StartNew();
        var central = Trainer.Train(dataset.Train, new TrainingOptions { Epochs = 3, Seed = Seed, Threads = 1 });
        var centralAccuracy = Evaluator.Evaluate(central.Model, dataset.Test).Accuracy;
        central.Model.Dispose();
        Console.WriteLine($"centralised, 3 epochs, batch 32, seed {Seed}: test accuracy {centralAccuracy:P2} ({clock.Elapsed.TotalSeconds:F1} s)");
        var missed = 0;

        var iid = await Federate(dataset, "iid", "fedavg", 0, rounds: 6);
        var within = iid.Accuracy.Select((a, i) => (Round: i + 1, a)).FirstOrDefault(r => r.a >= centralAccuracy - 0.01).Round;
        Print("iid", "fedavg", iid, centralAccuracy);
        missed += Target($"IID within 1 point of centralised in at most 6 rounds: {(within > 0 ? $"round {within}" : "not within 6")}", within > 0);

        var dirichlet = await Federate(dataset, "dirichlet:0.5", "fedavg", 0, rounds: 10);
        var prox = await Federate(dataset, "dirichlet:0.5", "fedprox", 0.01, rounds: 10);
        Print("dirichlet:0.5", "fedavg", dirichlet, centralAccuracy);
        Print("dirichlet:0.5", "fedprox mu 0.01", prox, centralAccuracy);
        missed += Target($"Dirichlet 0.5, 10 rounds, within 3 points of centralised: FedAvg {centralAccuracy - dirichlet.Accuracy[^1]:+0.00%;-0.00%} below",
                         dirichlet.Accuracy[^1] >= centralAccuracy - 0.03);

        foreach (var (strategy, mu) in new[] { ("fedavg", 0.0), ("fedprox", 0.01), ("fedprox", 0.1), ("fedavgm", 0.0), ("fedadam", 0.0) })
        {
            var shards = await Federate(dataset, "shards:2", strategy, mu, rounds: 30);
            Print("shards:2", mu > 0 ? $"{strategy} mu {mu}" : strategy, shards, centralAccuracy);
            var reached = shards.Accuracy.Select((a, i) => (Round: i + 1, a)).FirstOrDefault(r => r.a >= 0.75).Round;
            Console.WriteLine($"  aim, 75 % within 30 rounds: {(reached > 0 ? $"reached in round {reached}" : $"not reached (best {shards.Accuracy.Max():P1})")}");
        }

        var aggregation = iid.AggregateMs.Concat(dirichlet.AggregateMs).Order().ToList();
        var median = aggregation[aggregation.Count / 2];
        missed += Target($"aggregating 4 updates (read, verify SHA-256 and shapes, average): median {median:F1} ms, max {aggregation[^1]:F1} ms, under 50 ms", aggregation[^1] < 50);
        return missed == 0 ? 0 : 1;
    }

    sealed record Curve(double[] Accuracy, double[] AggregateMs, double[] Overhead, double Seconds);

    static async Task<Curve> Federate(MnistDataset dataset, string partition, string strategy, double mu, int rounds)
    {
        using var temp = new TempFolder();
        var settings = new FederationSettings
        {
            Id = "",
            Nodes = Nodes,
            Rounds = rounds,
            LocalEpochs = 1,
            Partition = partition,
            Strategy = strategy,
            Mu = mu,
            MinNodes = Nodes,
            Seed = Seed,
            RoundTimeoutSeconds = 600,
        };
        var summaries = new List<RoundSummary>();
        var clock = Stopwatch.StartNew();
        await FederatedRun.RunAsync(new WeightStore(temp.Path), "bench", dataset, settings, summaries.Add);
        return new Curve([.. summaries.Select(s => s.TestAccuracy)], [.. summaries.Select(s => s.AggregateSeconds * 1000)],
                         [.. summaries.Select(s => s.OverheadShare)], clock.Elapsed.TotalSeconds);
    }

    static void Print(string partition, string strategy, Curve curve, double central)
    {
        var overhead = curve.Overhead.Where(double.IsFinite).Order().ToList();
        Console.WriteLine($"{partition,-14} {strategy,-16} {curve.Accuracy.Length} rounds in {curve.Seconds:F0} s: final {curve.Accuracy[^1]:P2} " +
                          $"({curve.Accuracy[^1] - central:+0.00%;-0.00%} vs centralised), best {curve.Accuracy.Max():P2}; " +
                          $"overhead median {overhead[overhead.Count / 2]:P0} of a round");
        Console.WriteLine($"  by round: {string.Join(" ", curve.Accuracy.Select(a => a.ToString("P1")))}");
    }

    static int Target(string what, bool met)
    {
        Console.WriteLine($"target: {what}: {(met ? "met" : "MISSED")}");
        return met ? 0 : 1;
    }


    sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("edgeai-fed-bench-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
