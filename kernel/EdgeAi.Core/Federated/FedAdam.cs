namespace EdgeAi.Core.Federated;

/// <summary>
/// FedAdam (Reddi et al. 2021, "Adaptive Federated Optimization"): Adam on the server, whose gradient is the change the
/// weighted mean makes to the global model; beta1 0.9, beta2 0.99 and tau 1e-3 as the paper's experiments. Weights that
/// the nodes move in opposite directions get small steps, which is what helps under label skew.
/// </summary>
public sealed class FedAdam(double learningRate) : Strategy
{
    public const double DefaultLearningRate = 0.01, Beta1 = 0.9, Beta2 = 0.99, Tau = 1e-3;

    public override string Name => "fedadam";
    public override double? ServerLearningRate => learningRate;

    public override (float[] Weights, ServerState State) Aggregate(float[] global, IReadOnlyList<WeightedUpdate> updates, ServerState state)
    {
        var mean = WeightedMean(updates);
        var m = state.Vectors.TryGetValue("m", out var m0) ? (float[])m0.Clone() : new float[global.Length];
        var v = state.Vectors.TryGetValue("v", out var v0) ? (float[])v0.Clone() : new float[global.Length];
        var next = new float[global.Length];
        for (var i = 0; i < next.Length; i++)
        {
            double delta = mean[i] - global[i];
            m[i] = (float)(Beta1 * m[i] + (1 - Beta1) * delta);
            v[i] = (float)(Beta2 * v[i] + (1 - Beta2) * delta * delta);
            next[i] = (float)(global[i] + learningRate * m[i] / (Math.Sqrt(v[i]) + Tau));
        }
        return (next, new ServerState(new Dictionary<string, float[]> { ["m"] = m, ["v"] = v }));
    }
}
