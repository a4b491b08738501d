using EdgeAi.Core.Federated;

namespace EdgeAi.Core.Tests.Federated;

/// <summary>The strategies on small vectors, where their formulas can be checked by hand.</summary>
public sealed class StrategyTests
{
    static readonly float[] Global = [0, 0, 1];
    static readonly WeightedUpdate[] Updates = [new([1, 2, 1], 300), new([3, -2, 1], 100)];

    [Fact]
    public void FedAvg_weights_each_update_by_its_sample_count()
    {
        var (weights, state) = Strategy.Create("fedavg").Aggregate(Global, Updates, ServerState.Empty);
        Assert.Equal([1.5f, 1f, 1f], weights);   // (300*1 + 100*3)/400, (300*2 - 100*2)/400, 1
        Assert.Empty(state.Vectors);
    }

    [Fact]
    public void FedProx_averages_as_FedAvg_and_gives_the_nodes_a_proximal_weight()
    {
        var prox = Strategy.Create("fedprox");
        Assert.Equal(FedAvg.DefaultProximalMu, prox.Mu);
        Assert.Equal(0.5, Strategy.Create("fedprox", mu: 0.5).Mu);
        Assert.Equal(Strategy.Create("fedavg").Aggregate(Global, Updates, ServerState.Empty).Weights,
                     prox.Aggregate(Global, Updates, ServerState.Empty).Weights);
    }

    [Fact]
    public void FedAvgM_carries_momentum_from_round_to_round()
    {
        var strategy = Strategy.Create("fedavgm", serverLearningRate: 0.5);
        var (first, state) = strategy.Aggregate(Global, Updates, ServerState.Empty);
        Assert.Equal([0.75f, 0.5f, 1f], first);             // global + 0.5 * (mean - global); no momentum yet
        var (second, _) = strategy.Aggregate(first, [new(first, 1)], state);
        // No change from the nodes this time: momentum alone moves it by 0.5 * 0.9 * (1.5, 1, 0).
        Assert.Equal(0.75f + 0.5f * 0.9f * 1.5f, second[0], 5);
        Assert.Equal(0.5f + 0.5f * 0.9f * 1f, second[1], 5);
        Assert.Equal(1f, second[2], 5);
    }

    [Fact]
    public void FedAdams_first_step_moves_each_weight_by_about_the_server_rate_towards_the_mean()
    {
        var (weights, state) = Strategy.Create("fedadam", serverLearningRate: 0.01).Aggregate(Global, Updates, ServerState.Empty);
        // m = 0.1 d, v = 0.01 d^2, so the step is 0.01 * 0.1 d / (0.1 |d| + tau): nearly 0.01 * sign(d).
        Assert.InRange(weights[0], 0.0099f, 0.01f);
        Assert.InRange(weights[1], 0.0098f, 0.01f);
        Assert.Equal(1f, weights[2]);                        // no change, no step
        Assert.Equal(["m", "v"], state.Vectors.Keys.Order());
    }

    [Theory]
    [InlineData("fedsgd", "Strategy 'fedsgd' is not known. Allowed: fedavg, fedprox, fedavgm or fedadam")]
    public void Unknown_strategies_are_named(string name, string message) =>
        Assert.Contains(message, Assert.Throws<EdgeAiException>(() => Strategy.Create(name)).Message);

    [Theory]
    [InlineData(-0.1, "mu -0.1 is outside 0-10")]
    [InlineData(11, "mu 11 is outside 0-10")]
    public void Proximal_weights_out_of_range_are_named(double mu, string message) =>
        Assert.Contains(message, Assert.Throws<EdgeAiException>(() => Strategy.Create("fedprox", mu)).Message);
}
