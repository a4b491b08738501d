#!/usr/bin/env -S dotnet run
// federated.ipynb as a .NET 10 file-based app:
//   dotnet run notebooks/federated.cs [ROUNDS]
// Four nodes (threads here, Jobs on a cluster) each train on their own part of the training images and meet only in
// the shared store (EDGEAI_WEIGHTS_DIR, else /books/models when /books is mounted, else ~/.local/share/edgeai/books):
// first IID parts, then label-skewed (Dirichlet 0.5) parts with FedAvg and with FedProx. Data: EDGEAI_DATA_DIR, the
// image's copy, or a download.
#:project ../kernel/EdgeAi.Core/EdgeAi.Core.csproj
// TorchSharp (native libtorch) and TorchSharp.PyBridge (reflection-based JSON) need a regular, non-AOT app.
#:property PublishAot=false
#:property JsonSerializerIsReflectionEnabledByDefault=true
using EdgeAi.Core;
using EdgeAi.Core.Federated;

try
{
    var rounds = args.Length > 0 ? int.Parse(args[0]) : 3;
    var lab = await Lab.OpenAsync();
    Console.WriteLine($"{lab.Dataset.Name}: {lab.Dataset.Train.Count:N0} training images split among 4 nodes; store {lab.Store.Root}");
    (string Name, string Partition, string Strategy, double Mu)[] runs =
    [
        ("fed-iid", "iid", "fedavg", 0), ("fed-dirichlet", "dirichlet:0.5", "fedavg", 0), ("fed-prox", "dirichlet:0.5", "fedprox", 0.01),
    ];
    foreach (var (name, partition, strategy, mu) in runs)
    {
        var settings = new FederationSettings { Id = "", Nodes = 4, Rounds = rounds, Partition = partition, Strategy = strategy, Mu = mu, MinNodes = 4, Seed = 1 };
        var final = await FederatedRun.RunAsync(lab.Store, name, lab.Dataset, settings, round =>
            Console.WriteLine($"{name} round {round.Round}/{round.Rounds}: test accuracy {round.TestAccuracy:P2}; " +
                              string.Join(", ", round.Nodes.Select(n => $"node {n.Node} {n.Samples:N0} images, local {n.LocalAccuracy:P1}"))));
        Console.WriteLine($"saved {final.Ref}: test accuracy {final.Metrics!.TestAccuracy:P2} ({partition}, {strategy})");
    }
    return 0;
}
catch (EdgeAiException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
