namespace EdgeAi.Serving;

/// <summary>
/// Dynamic batching without a wait: the images of requests that are waiting at the same moment go through the model
/// in one forward pass (one image alone costs about as much in libtorch's fixed per-call work as eight together), and a
/// request that finds nobody computing computes at once on its own thread, so a lone client pays nothing for it.
/// At most one computation a core runs at a time (<c>Environment.ProcessorCount</c>, which follows the process's
/// CPU affinity and cgroup limit); a request that finds them all busy queues, and the next free one takes it with
/// whatever else has queued. A batch holds one version and one datatype only, so every answer is computed exactly as
/// a request of its own would be, by the version its request holds.
/// </summary>
public sealed class DynamicBatcher(int maxImages, Action<int>? batched = null)
{
    sealed class Job(ServedModel model, byte[]? pixels, float[]? scaled, int count)
    {
        public readonly ServedModel Model = model;
        public readonly byte[]? Pixels = pixels;
        public readonly float[]? Scaled = scaled;
        public readonly int Count = count;
        public readonly TaskCompletionSource<float[]> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Joins(Job first) => Model == first.Model && (Pixels is null) == (first.Pixels is null);
    }

    readonly Lock gate = new();
    readonly Queue<Job> waiting = new();
    readonly int slots = Math.Max(1, Environment.ProcessorCount);
    int computing;

    public int MaxImages { get; } = maxImages;

    /// <summary>The probabilities of <paramref name="count"/> images (as <see cref="IClassifier.Probabilities"/>), by
    /// <paramref name="model"/>, which the caller holds until the task ends.</summary>
    public async Task<float[]> Probabilities(ServedModel model, byte[]? pixels, float[]? scaled, int count)
    {
        var job = new Job(model, pixels, scaled, count);
        lock (gate)
            waiting.Enqueue(job);
        // When other work waits in the thread pool (requests that arrived with this one, to be read and parsed: one
        // core may have them all), to the back of its queue: they queue their images first, and the batch takes them
        // too. When nothing waits, at once: a lone client's request pays no hand-over to another thread.
        if (ThreadPool.PendingWorkItemCount > 0)
            await Task.Yield();
        if (!job.Done.Task.IsCompleted && TryEnter())
        {
            // Until its own answer is there; then its response goes out, and anything left waits for a free core.
            while (!job.Done.Task.IsCompleted && TakeBatch() is { } batch)
                Compute(batch);
            Leave();
        }
        return await job.Done.Task.ConfigureAwait(false);
    }

    bool TryEnter()
    {
        var seen = Volatile.Read(ref computing);
        while (seen < slots)
        {
            var before = Interlocked.CompareExchange(ref computing, seen + 1, seen);
            if (before == seen)
                return true;
            seen = before;
        }
        return false;
    }

    /// <summary>Gives the slot back; if requests still wait (they queued while every slot was busy, before this one
    /// left: the queue is read after the slot is given back), a thread-pool worker takes them.</summary>
    void Leave()
    {
        Interlocked.Decrement(ref computing);
        if (HasWaiting())
            ThreadPool.UnsafeQueueUserWorkItem(static batcher => batcher.Drain(), this, preferLocal: false);
    }

    void Drain()
    {
        if (!TryEnter())
            return;   // a busy slot will see the queue when it leaves
        while (TakeBatch() is { } batch)
            Compute(batch);
        Leave();
    }

    bool HasWaiting()
    {
        lock (gate)
            return waiting.Count > 0;
    }

    /// <summary>The oldest waiting request and the waiting ones that share its version and datatype, oldest first, up
    /// to <see cref="MaxImages"/> images; the others keep their places. Null when none waits.</summary>
    List<Job>? TakeBatch()
    {
        lock (gate)
        {
            if (!waiting.TryDequeue(out var first))
                return null;
            var batch = new List<Job> { first };
            var images = first.Count;
            // Clients that send bytes and clients that send floats, or ask for a pinned version, wait interleaved:
            // the whole queue is looked at once (it holds at most one job a connection), not only its head.
            for (var others = waiting.Count; others > 0; others--)
            {
                var next = waiting.Dequeue();
                if (next.Joins(first) && images + next.Count <= MaxImages)
                {
                    batch.Add(next);
                    images += next.Count;
                }
                else
                    waiting.Enqueue(next);
            }
            return batch;
        }
    }

    void Compute(List<Job> batch)
    {
        var first = batch[0];
        try
        {
            if (batch.Count == 1)
            {
                batched?.Invoke(first.Count);
                first.Done.SetResult(first.Model.Classifier.Probabilities(first.Pixels, first.Scaled, first.Count));
                return;
            }
            var images = batch.Sum(job => job.Count);
            batched?.Invoke(images);
            byte[]? pixels = null;
            float[]? scaled = null;
            var at = 0;
            if (first.Pixels is not null)
            {
                pixels = new byte[first.Pixels.Length / first.Count * images];
                foreach (var job in batch)
                {
                    job.Pixels!.CopyTo(pixels, at);
                    at += job.Pixels.Length;
                }
            }
            else
            {
                scaled = new float[first.Scaled!.Length / first.Count * images];
                foreach (var job in batch)
                {
                    job.Scaled!.CopyTo(scaled, at);
                    at += job.Scaled.Length;
                }
            }
            var all = first.Model.Classifier.Probabilities(pixels, scaled, images);
            var width = all.Length / images;
            at = 0;
            foreach (var job in batch)
            {
                job.Done.SetResult(all.AsSpan(at, job.Count * width).ToArray());
                at += job.Count * width;
            }
        }
        catch (Exception e)
        {
            foreach (var job in batch)
                job.Done.TrySetException(e);
        }
    }
}
