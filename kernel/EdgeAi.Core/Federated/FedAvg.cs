namespace EdgeAi.Core.Federated;

/// <summary>
/// McMahan et al.'s FedAvg: the new global model is the updates' mean weighted by sample counts. As FedProx (Li et al.)
/// it is the same average, and the nodes add mu/2 |w - w_global|^2 to their local loss, which keeps a node with skewed
/// labels from drifting far from the global model in one round.
/// </summary>
public sealed class FedAvg : Strategy
{
    public const double DefaultProximalMu = 0.01;

    public bool Proximal { get; init; }

    public override string Name => Proximal ? "fedprox" : "fedavg";

    public override (float[] Weights, ServerState State) Aggregate(float[] global, IReadOnlyList<WeightedUpdate> updates, ServerState state) =>
        (WeightedMean(updates), ServerState.Empty);
}
