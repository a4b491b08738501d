using EdgeAi.Core.Data;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Training;

namespace EdgeAi.Core.Tests.Training;

/// <summary>
/// Training on N threads splits each batch across N workers and sums their gradients before one Adam update: the same
/// computation as one thread but for the order of float additions. So a run is identical for a given N and seed, one
/// step matches the one-thread step to float rounding, and a whole epoch reaches the same accuracy.
/// </summary>
[Trait("Needs", "libtorch")]
public sealed class ParallelTrainingTests : IDisposable
{
    readonly TempDirectory temp = new();
    readonly MnistDataset data;

    public ParallelTrainingTests() => data = MnistDataset.Load(RealData.WriteNpmMnist(temp.Combine("mnist")));
    public void Dispose() => temp.Dispose();

    static float[] Weights(TrainingResult result) =>
        result.Model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [Fact]
    public void Two_threads_give_identical_weights_for_the_same_seed()
    {
        var options = new TrainingOptions { Epochs = 1, Seed = 11, Threads = 2, BatchSize = 32 };
        using var first = Trainer.Train(data.Train, options).Model;
        using var second = Trainer.Train(data.Train, options).Model;
        Assert.Equal(first.parameters().SelectMany(p => p.data<float>().ToArray()), second.parameters().SelectMany(p => p.data<float>().ToArray()));
    }

    /// <summary>Three steps: two batches of 128 and a last one of a single image, smaller than the workers (one of
    /// them has no share of it). Tolerance: 1e-6 on every weight, float rounding of sums in another order
    /// (the weights are about 0.05, Adam moves each by at most 0.001 a step).</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Each_step_on_n_threads_equals_the_one_thread_step_within_float_rounding(int threads)
    {
        var split = data.Train.Select(Enumerable.Range(0, 257).ToList());
        var options = new TrainingOptions { Epochs = 1, Seed = 5, BatchSize = 128, Threads = 1 };
        var one = Trainer.Train(split, options);
        var many = Trainer.Train(split, options with { Threads = Math.Min(threads, TrainingOptions.MaxThreads) });
        try
        {
            var (a, b) = (Weights(one), Weights(many));
            var worst = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
            Assert.True(worst <= 1e-6f, $"largest difference {worst}");
            Assert.Equal(one.Epochs[0].Loss, many.Epochs[0].Loss, 1e-5);
            Assert.Equal(one.Epochs[0].Accuracy, many.Epochs[0].Accuracy);
        }
        finally
        {
            one.Model.Dispose();
            many.Model.Dispose();
        }
    }

    [Fact]
    public void A_whole_epoch_on_two_threads_reaches_the_one_thread_accuracy()
    {
        var options = new TrainingOptions { Epochs = 1, Seed = 3, BatchSize = 32, Threads = 1 };
        using var one = Trainer.Train(data.Train, options).Model;
        using var two = Trainer.Train(data.Train, options with { Threads = 2 }).Model;
        var (a, b) = (Evaluator.Evaluate(one, data.Test).Accuracy, Evaluator.Evaluate(two, data.Test).Accuracy);
        Assert.True(a > 0.85, $"one thread reached only {a:P1}");
        Assert.True(Math.Abs(a - b) <= 0.01, $"one thread {a:P2}, two threads {b:P2}");
    }
}
