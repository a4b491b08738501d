using EdgeAi.Core.Training;

namespace EdgeAi.Core.Tests.Training;

public sealed class TrainingOptionsTests
{
    [Theory]
    [InlineData(0, 32, 1e-3, 1, "epochs 0 is outside 1-100")]
    [InlineData(101, 32, 1e-3, 1, "epochs 101 is outside 1-100")]
    [InlineData(3, 0, 1e-3, 1, "batch size 0 is outside 1-60000")]
    [InlineData(3, 60001, 1e-3, 1, "batch size 60001 is outside 1-60000")]
    [InlineData(3, 32, 0.0, 1, "learning rate 0 is outside (0, 1]")]
    [InlineData(3, 32, 2.0, 1, "learning rate 2 is outside (0, 1]")]
    [InlineData(3, 32, 1e-3, 0, "threads 0 is outside 1-")]
    public void BadValuesAreNamedWithTheirRange(int epochs, int batch, double rate, int threads, string expected)
    {
        var options = new TrainingOptions { Epochs = epochs, BatchSize = batch, LearningRate = rate, Threads = threads };
        var e = Assert.Throws<EdgeAiException>(() => options.Validate(60000));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Threads_are_bounded_by_the_cores_this_process_may_use()
    {
        var cores = Environment.ProcessorCount;
        new TrainingOptions { Threads = cores }.Validate(60000);
        var e = Assert.Throws<EdgeAiException>(() => new TrainingOptions { Threads = cores + 1 }.Validate(60000));
        Assert.Contains($"threads {cores + 1} is outside 1-{cores} (the cores this process may use", e.Message);
        Assert.Throws<EdgeAiException>(() => new TrainingOptions { Threads = 256 }.Validate(60000));
    }

    [Fact]
    public void EveryBadValueIsReportedAtOnce()
    {
        var options = new TrainingOptions { Epochs = 0, Seed = -1 };
        var e = Assert.Throws<EdgeAiException>(() => options.Validate(100));
        Assert.Contains("epochs 0", e.Message);
        Assert.Contains("seed -1 is negative", e.Message);
    }

    [Fact]
    public void DefaultsAreTheReports()
    {
        var options = new TrainingOptions();
        Assert.Equal((3, 32, 1e-3), (options.Epochs, options.BatchSize, options.LearningRate));
        options.Validate(60000);
    }
}
