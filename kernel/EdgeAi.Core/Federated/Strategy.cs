namespace EdgeAi.Core.Federated;

/// <summary>One node's update as a strategy sees it: its weights and the number of images it trained on.</summary>
public sealed record WeightedUpdate(float[] Weights, long Samples);

/// <summary>What a server-side optimizer carries from round to round (FedAvgM's momentum, FedAdam's moments).</summary>
public sealed record ServerState(IReadOnlyDictionary<string, float[]> Vectors)
{
    public static ServerState Empty { get; } = new(new Dictionary<string, float[]>());
}

/// <summary>
/// How the aggregator makes round r+1's global model from round r's and the updates it received (as Flower's strategies:
/// small objects, no transport). Every strategy starts from FedAvg's mean weighted by sample counts.
/// </summary>
public abstract class Strategy
{
    public const string Allowed = "fedavg, fedprox, fedavgm or fedadam";

    public abstract string Name { get; }

    /// <summary>The server's learning rate, where the strategy has one (FedAvgM, FedAdam).</summary>
    public virtual double? ServerLearningRate => null;

    /// <summary>The proximal term's weight the nodes use in their local step (FedProx); 0 for plain local Adam.</summary>
    public double Mu { get; init; }

    /// <summary>Round r+1's global weights. <paramref name="state"/> is what this strategy returned last round (or
    /// <see cref="ServerState.Empty"/>); the new state is returned beside the weights.</summary>
    public abstract (float[] Weights, ServerState State) Aggregate(float[] global, IReadOnlyList<WeightedUpdate> updates, ServerState state);

    /// <summary>FedAvg: the mean of the updates weighted by their sample counts (summed in double, in the given order).</summary>
    public static float[] WeightedMean(IReadOnlyList<WeightedUpdate> updates)
    {
        if (updates.Count == 0)
            throw new ArgumentException("no updates to average", nameof(updates));
        var total = updates.Sum(u => (double)u.Samples);
        var sum = new double[updates[0].Weights.Length];
        foreach (var update in updates)
        {
            var share = update.Samples / total;
            var weights = update.Weights;
            for (var i = 0; i < sum.Length; i++)
                sum[i] += share * weights[i];
        }
        return [.. sum.Select(v => (float)v)];
    }

    public static Strategy Create(string? name, double mu = 0, double? serverLearningRate = null)
    {
        if (!(mu >= 0 && mu <= 10))
            throw new EdgeAiException($"mu {mu} is outside 0-10 (the proximal term's weight; FedProx's paper uses 0.001-1).");
        if (serverLearningRate is { } rate && !(rate > 0 && rate <= 10))
            throw new EdgeAiException($"server learning rate {rate} is outside (0, 10].");
        return (name ?? "fedavg").Trim().ToLowerInvariant() switch
        {
            "fedavg" => new FedAvg { Mu = mu },
            "fedprox" => new FedAvg { Mu = mu > 0 ? mu : FedAvg.DefaultProximalMu, Proximal = true },
            "fedavgm" => new FedAvgM(serverLearningRate ?? FedAvgM.DefaultLearningRate) { Mu = mu },
            "fedadam" => new FedAdam(serverLearningRate ?? FedAdam.DefaultLearningRate) { Mu = mu },
            _ => throw new EdgeAiException($"Strategy '{Store.Printable.Of(name)}' is not known. Allowed: {Allowed}."),
        };
    }
}
