namespace EdgeAi.Core.Federated;

/// <summary>
/// FedAvg with server momentum (Hsu et al. 2019): the change the weighted mean makes to the global model is treated as a
/// gradient step and accumulated with momentum 0.9, which carries the global model past the back-and-forth that
/// label-skewed nodes cause round after round.
/// </summary>
public sealed class FedAvgM(double learningRate) : Strategy
{
    public const double DefaultLearningRate = 1.0, Momentum = 0.9;

    public override string Name => "fedavgm";
    public override double? ServerLearningRate => learningRate;

    public override (float[] Weights, ServerState State) Aggregate(float[] global, IReadOnlyList<WeightedUpdate> updates, ServerState state)
    {
        var mean = WeightedMean(updates);
        var momentum = state.Vectors.TryGetValue("momentum", out var m) ? (float[])m.Clone() : new float[global.Length];
        var next = new float[global.Length];
        for (var i = 0; i < next.Length; i++)
        {
            momentum[i] = (float)(Momentum * momentum[i] + (mean[i] - global[i]));
            next[i] = (float)(global[i] + learningRate * momentum[i]);
        }
        return (next, new ServerState(new Dictionary<string, float[]> { ["momentum"] = momentum }));
    }
}
