using EdgeAi.Core.Store;
using System.Diagnostics;
using EdgeAi.Core.Data;
using EdgeAi.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeAi.Core.Training;

public sealed record TrainingResult(MnistMlp Model, IReadOnlyList<EpochMetrics> Epochs, double Seconds);

public static class Trainer
{
    /// <summary>
    /// Trains a fresh <see cref="MnistMlp"/>. Cancellation is checked before every batch and throws
    /// <see cref="OperationCanceledException"/>; nothing is saved here, so an interrupted run leaves the store as it was.
    /// </summary>
    public static TrainingResult Train(MnistSplit train, TrainingOptions options, Action<TrainingProgress>? progress = null,
                                       CancellationToken cancel = default)
    {
        options.Validate(train.Count);
        var model = new MnistMlp(options.Seed);
        try
        {
            torch.set_num_threads(options.Threads);
            using var shuffle = options.Seed is { } s ? new Generator((ulong)s) : null;
            var epochs = Run(model, train, options, shuffle, progress, cancel, out var seconds);
            return new TrainingResult(model, epochs, seconds);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    static List<EpochMetrics> Run(MnistMlp model, MnistSplit train, TrainingOptions options, Generator? shuffle,
                                  Action<TrainingProgress>? progress, CancellationToken cancel, out double seconds)
    {
        var n = train.Count;
        var batches = (n + options.BatchSize - 1) / options.BatchSize;
        // Images stay bytes (47 MB for 60k) and become floats one batch at a time.
        using var images = torch.tensor(train.Pixels, [n, MnistMlp.Inputs], ScalarType.Byte);
        using var labels = torch.tensor(train.Labels, ScalarType.Byte).to_type(ScalarType.Int64);
        using var optimizer = new FlatAdam(model, options.LearningRate);
        // One float buffer for a batch, refilled in place each step: a fresh 400 KB tensor per step cost malloc,
        // page faults and a pass of its own.
        using var batchPixels = torch.empty([options.BatchSize, MnistMlp.Inputs]);

        var summaries = new List<EpochMetrics>();
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        model.train();
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var epochStart = clock.Elapsed;
            using var order = torch.randperm(n, generator: shuffle);
            using var epochImages = images.index_select(0, order);
            using var epochLabels = labels.index_select(0, order);
            using var lossSum = torch.zeros(1, ScalarType.Float64);
            using var correct = torch.zeros(1, ScalarType.Int64);

            for (var batch = 0; batch < batches; batch++)
            {
                cancel.ThrowIfCancellationRequested();
                var start = batch * options.BatchSize;
                var size = Math.Min(options.BatchSize, n - start);
                using (var step = torch.NewDisposeScope())
                {
                    var x = batchPixels.narrow(0, 0, size).copy_(epochImages.narrow(0, start, size)).div_(255f);
                    var y = epochLabels.narrow(0, start, size);
                    var logits = model.forward(x);
                    var loss = nn.functional.cross_entropy(logits, y);
                    loss.backward();
                    optimizer.Step();   // also zeroes the gradients for the next backward
                    using (torch.no_grad())
                    {
                        lossSum.add_(loss, alpha: size);
                        correct.add_(logits.argmax(1).eq(y).sum());
                    }
                }

                var last = batch == batches - 1;
                if (progress is not null && (last || clock.Elapsed - lastReport >= options.ProgressInterval))
                {
                    lastReport = clock.Elapsed;
                    var seen = start + size;
                    var done = (long)(epoch - 1) * n + seen;
                    var rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    var left = (long)options.Epochs * n - done;
                    progress(new TrainingProgress(epoch, options.Epochs, batch + 1, batches,
                        lossSum.item<double>() / seen, (double)correct.item<long>() / seen, rate,
                        TimeSpan.FromSeconds(left / Math.Max(rate, 1e-9)), EpochCompleted: false));
                }
            }

            var summary = new EpochMetrics(epoch, lossSum.item<double>() / n, (double)correct.item<long>() / n,
                                           (clock.Elapsed - epochStart).TotalSeconds);
            summaries.Add(summary);
            progress?.Invoke(new TrainingProgress(epoch, options.Epochs, batches, batches, summary.Loss, summary.Accuracy,
                (double)epoch * n / clock.Elapsed.TotalSeconds,
                TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / epoch * (options.Epochs - epoch)), EpochCompleted: true));
        }
        model.eval();
        seconds = clock.Elapsed.TotalSeconds;
        return summaries;
    }
}
