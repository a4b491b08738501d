using EdgeAi.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeAi.Core.Training;

/// <summary>One training step: forward, backward and the optimizer's update, for one batch.</summary>
interface ITrainingStep : IDisposable
{
    /// <summary>The batch's summed loss and its number of correct predictions (before the update).</summary>
    (double LossSum, int Correct) Run(byte[] images, byte[] labels, ReadOnlySpan<long> batch);
}

/// <summary>The step on one thread: <see cref="MlpStep"/>, then <see cref="FlatAdam"/>.</summary>
sealed class SerialStep(MnistMlp model, FlatAdam optimizer, int capacity) : ITrainingStep
{
    readonly MlpStep step = new(model, capacity);

    public (double LossSum, int Correct) Run(byte[] images, byte[] labels, ReadOnlySpan<long> batch)
    {
        var result = step.Run(images, labels, batch);
        optimizer.Step();
        return result;
    }

    public void Dispose() => step.Dispose();
}

/// <summary>
/// The step on N threads. Each worker runs forward and backward on its part of the batch (rows split evenly, in order)
/// into a gradient buffer of its own; then each worker sums its slice of all the buffers and applies Adam to that
/// slice; the parameters are read again only after every slice is updated. The parts and the order of the sums are
/// fixed by N, so a run is the same for a given N and seed; it differs from another N by float rounding only.
///
/// A step at batch 32 is well under a millisecond, and the workers meet twice a step (what that costs: "Training on
/// two threads" in docs/performance.md). Each meeting is a semaphore that spins briefly before it blocks: on idle cores
/// a worker is on its way in microseconds, and where the cores are shared or a pod's CPU quota is tight, a waiting
/// worker sleeps instead of burning the time the others need.
/// Written by hand: TorchSharp has no data-parallel training on CPU, and libtorch's own threads split each product
/// (eight small ones a step), which gained nothing here.
/// </summary>
sealed class ParallelStep : ITrainingStep
{
    readonly FlatAdam optimizer;
    readonly MlpStep[] steps;
    readonly Tensor[] gradients;          // of workers 1..N-1; worker 0 writes the optimizer's own
    readonly (int Start, int End)[] slices;
    readonly (double LossSum, int Correct)[] results;
    readonly Thread[] threads;
    readonly long[] indices;
    byte[] images = [], labels = [];
    int batchSize;
    float stepSize, correction;
    Exception? failure;

    // The main thread is worker 0. It releases each other worker's `start` once per phase (odd phases: forward and
    // backward of the worker's part; even: its slice of the update) and waits on its `done`.
    readonly SemaphoreSlim[] start, done;
    long phase;
    volatile bool stopping;

    public ParallelStep(MnistMlp model, FlatAdam optimizer, int capacity, int workers)
    {
        this.optimizer = optimizer;
        indices = new long[capacity];
        steps = new MlpStep[workers];
        gradients = new Tensor[workers - 1];
        steps[0] = new MlpStep(model, capacity);
        for (var w = 1; w < workers; w++)
        {
            gradients[w - 1] = torch.zeros(optimizer.Count);
            steps[w] = new MlpStep(model, capacity, gradients[w - 1]);
        }
        // Slices of the flat buffers in whole cache lines (16 floats), so no two workers write one line.
        slices = new (int, int)[workers];
        var lines = (optimizer.Count + 15) / 16;
        for (var w = 0; w < workers; w++)
            slices[w] = (Math.Min(optimizer.Count, (int)((long)lines * w / workers) * 16), Math.Min(optimizer.Count, (int)((long)lines * (w + 1) / workers) * 16));
        results = new (double, int)[workers];
        start = [.. Enumerable.Range(0, workers).Select(_ => new SemaphoreSlim(0))];
        done = [.. Enumerable.Range(0, workers).Select(_ => new SemaphoreSlim(0))];
        threads = new Thread[workers - 1];
        for (var w = 1; w < workers; w++)
        {
            var worker = w;
            threads[w - 1] = new Thread(() => Work(worker)) { IsBackground = true, Name = $"edgeai-train-{worker}" };
            threads[w - 1].Start();
        }
    }

    public (double LossSum, int Correct) Run(byte[] images, byte[] labels, ReadOnlySpan<long> batch)
    {
        (this.images, this.labels, batchSize) = (images, labels, batch.Length);
        batch.CopyTo(indices);
        Advance(RunPart);
        (stepSize, correction) = optimizer.Advance();
        Advance(UpdateSlice);
        var (loss, correct) = (0.0, 0);
        foreach (var r in results)
            (loss, correct) = (loss + r.LossSum, correct + r.Correct);
        return (loss, correct);
    }

    /// <summary>One phase: announce it, do worker 0's share, wait for the others; a worker's failure is rethrown here.</summary>
    void Advance(Action<int> share)
    {
        Volatile.Write(ref phase, phase + 1);
        for (var w = 1; w < steps.Length; w++)
            start[w].Release();
        share(0);
        for (var w = 1; w < steps.Length; w++)
            done[w].Wait();
        if (failure is { } e)
            throw new InvalidOperationException($"a training worker failed: {e.Message}", e);
    }

    /// <summary>Worker <paramref name="w"/>'s rows of the batch: an even split, in order (a part may be empty).</summary>
    void RunPart(int w)
    {
        var from = batchSize * w / steps.Length;
        var to = batchSize * (w + 1) / steps.Length;
        if (to > from)
        {
            results[w] = steps[w].Run(images, labels, indices.AsSpan(from, to - from), meanOver: batchSize);
            return;
        }
        results[w] = (0, 0);
        (w == 0 ? optimizer.Gradients : gradients[w - 1]).zero_();   // a batch smaller than the workers: no share
    }

    void UpdateSlice(int w) => optimizer.Update(slices[w].Start, slices[w].End, stepSize, correction, gradients);

    void Work(int w)
    {
        torch.set_num_threads(1);
        while (true)
        {
            start[w].Wait();
            if (stopping)
                return;
            try
            {
                if (Volatile.Read(ref phase) % 2 == 1)
                    RunPart(w);
                else
                    UpdateSlice(w);
            }
            catch (Exception e)
            {
                failure ??= e;
            }
            done[w].Release();
        }
    }

    public void Dispose()
    {
        stopping = true;
        for (var w = 1; w < steps.Length; w++)
            start[w].Release();
        foreach (var thread in threads)
            thread.Join();
        foreach (var semaphore in start.Concat(done))
            semaphore.Dispose();
        foreach (var step in steps)
            step.Dispose();
        foreach (var gradient in gradients)
            gradient.Dispose();
    }
}
