namespace EdgeAi.Core.Training;

/// <summary>Training settings; the defaults are the report's (3 epochs, batch 32 as Keras, Adam 1e-3).</summary>
public sealed record TrainingOptions
{
    public const int MaxEpochs = 100;

    /// <summary>The cores this process may use: .NET's count honours its CPU affinity and its cgroup's CPU limit (a
    /// pod's <c>limits.cpu</c>). More threads than that only queue for the same cores and starve the node's other
    /// work (256 threads on 2 cores took 40 times as long).</summary>
    public static int MaxThreads => Environment.ProcessorCount;
    // Before Default: static initializers run in order, and Default reads it.
    /// <summary>
    /// Every core this process may use where it has a CPU limit of its own (a pod's <c>limits.cpu</c>: a training Job,
    /// or a Pi's notebook pod with the node's cores), else 1: without a limit the cores are shared (a lab machine, a
    /// hub without limits), and one thread leaves the rest to the Jupyter server and everyone else.
    /// </summary>
    public static int DefaultThreads { get; } = Math.Min(CpuLimit.Cores() ?? 1, Environment.ProcessorCount);

    /// <summary>The defaults, for front ends that show them or fall back to them (the magic, the CLI, scripts).</summary>
    public static readonly TrainingOptions Default = new();

    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Seeds initial weights and shuffling: equal seeds and thread counts give equal weights.</summary>
    public long? Seed { get; init; }
    /// <summary>Workers that split each batch (<see cref="ParallelStep"/>); the default is <see cref="DefaultThreads"/>.</summary>
    public int Threads { get; init; } = DefaultThreads;

    /// <summary>How often per-batch progress is reported (the last batch of each epoch always is).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Throws an <see cref="EdgeAiException"/> naming every bad value and its allowed range.</summary>
    public void Validate(int trainingImages)
    {
        var errors = new List<string>();
        if (Epochs is < 1 or > MaxEpochs)
            errors.Add($"epochs {Epochs} is outside 1-{MaxEpochs}");
        if (BatchSize < 1 || BatchSize > trainingImages)
            errors.Add($"batch size {BatchSize} is outside 1-{trainingImages} (the number of training images)");
        if (!(LearningRate > 0 && LearningRate <= 1))
            errors.Add($"learning rate {LearningRate} is outside (0, 1]");
        if (Seed is < 0)
            errors.Add($"seed {Seed} is negative; use 0 or more");
        if (Threads < 1 || Threads > MaxThreads)
            errors.Add($"threads {Threads} is outside 1-{MaxThreads} (the cores this process may use, its CPU limit included)");
        if (errors.Count > 0)
            throw new EdgeAiException("Invalid training options: " + string.Join("; ", errors) + ".");
    }
}

/// <summary>Progress during training. <see cref="EpochCompleted"/> marks the one event at each epoch's end,
/// whose loss and accuracy cover the whole epoch; other events carry running values for the epoch so far.</summary>
public sealed record TrainingProgress(
    int Epoch, int Epochs, int Batch, int BatchesPerEpoch,
    double Loss, double Accuracy, double SamplesPerSecond, TimeSpan Eta, bool EpochCompleted);
