using System.Diagnostics;
using System.Runtime.InteropServices;
using EdgeAi.Core.Data;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
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
            return Continue(model, train, options, progress: progress, cancel: cancel);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains <paramref name="model"/> further, in place, with a fresh Adam (as a federated node does each round from
    /// the global model). With <paramref name="proximalMu"/> above 0, FedProx's proximal term holds the weights near
    /// the ones <paramref name="model"/> started with.
    /// </summary>
    public static TrainingResult Continue(MnistMlp model, MnistSplit train, TrainingOptions options, double proximalMu = 0,
                                          Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        options.Validate(train.Count);
        // Our workers split each batch (ParallelStep); libtorch's own threads would split each small product
        // again and only contend with them.
        torch.set_num_threads(1);
        using var shuffle = options.Seed is { } s ? new Generator((ulong)s) : null;
        var start = proximalMu > 0 ? Federated.FlatWeights.Of(model) : null;
        var epochs = Run(model, train, options, shuffle, start, proximalMu, progress, cancel, out var seconds);
        return new TrainingResult(model, epochs, seconds);
    }

    static List<EpochMetrics> Run(MnistMlp model, MnistSplit train, TrainingOptions options, Generator? shuffle,
                                  float[]? anchor, double proximalMu,
                                  Action<TrainingProgress>? progress, CancellationToken cancel, out double seconds)
    {
        var n = train.Count;
        var batches = (n + options.BatchSize - 1) / options.BatchSize;
        using var optimizer = new FlatAdam(model, options.LearningRate);
        if (anchor is not null)
            optimizer.AddProximalTerm(anchor, proximalMu);
        using ITrainingStep step = options.Threads > 1
            ? new ParallelStep(model, optimizer, options.BatchSize, options.Threads)
            : new SerialStep(model, optimizer, options.BatchSize);

        var summaries = new List<EpochMetrics>();
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        model.train();
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var epochStart = clock.Elapsed;
            using var order = torch.randperm(n, generator: shuffle);
            var shuffled = MemoryMarshal.Cast<byte, long>(order.bytes);
            var lossSum = 0.0;
            var correct = 0L;

            for (var batch = 0; batch < batches; batch++)
            {
                cancel.ThrowIfCancellationRequested();
                var start = batch * options.BatchSize;
                var size = Math.Min(options.BatchSize, n - start);
                // Images stay bytes (47 MB for 60k); the step makes floats of one batch at a time.
                var (batchLoss, batchCorrect) = step.Run(train.Pixels, train.Labels, shuffled.Slice(start, size));
                lossSum += batchLoss;
                correct += batchCorrect;

                var last = batch == batches - 1;
                if (progress is not null && (last || clock.Elapsed - lastReport >= options.ProgressInterval))
                {
                    lastReport = clock.Elapsed;
                    var seen = start + size;
                    var done = (long)(epoch - 1) * n + seen;
                    var rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    var left = (long)options.Epochs * n - done;
                    progress(new TrainingProgress(epoch, options.Epochs, batch + 1, batches,
                        lossSum / seen, (double)correct / seen, rate,
                        TimeSpan.FromSeconds(left / Math.Max(rate, 1e-9)), EpochCompleted: false));
                }
            }

            var summary = new EpochMetrics(epoch, lossSum / n, (double)correct / n,
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
