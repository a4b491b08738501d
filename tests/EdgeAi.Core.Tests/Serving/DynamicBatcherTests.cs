using EdgeAi.Core.Store;
using EdgeAi.Serving;

namespace EdgeAi.Core.Tests.Serving;

/// <summary>Requests that wait together are computed together, and each gets exactly its own answer, from the version
/// it holds; a classifier's failure reaches every request of its batch and the next batch still runs.</summary>
public sealed class DynamicBatcherTests
{
    /// <summary>Answers, for each image, its first pixel and the version that computed it; records every batch.</summary>
    sealed class RecordingClassifier(int version, Func<int, bool>? fails = null) : IClassifier
    {
        public readonly List<(int Images, bool Bytes)> Batches = [];
        int running, mostAtOnce;

        public string Platform => "test";
        public int MostAtOnce => Volatile.Read(ref mostAtOnce);

        public float[] Probabilities(byte[]? pixels, float[]? scaled, int count)
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref mostAtOnce, now);
            try
            {
                lock (Batches)
                    Batches.Add((count, pixels is not null));
                Thread.Sleep(2);   // long enough that others queue behind this one
                if (fails?.Invoke(count) == true)
                    throw new InvalidOperationException($"classifier failed on {count} images");
                var result = new float[count * 10];
                for (var i = 0; i < count; i++)
                {
                    result[i * 10] = pixels is not null ? pixels[i * 784] : scaled![i * 784] * 255f;
                    result[i * 10 + 1] = version;
                }
                return result;
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }

        static void InterlockedMax(ref int target, int value)
        {
            var seen = Volatile.Read(ref target);
            while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var before && before != seen)
                seen = before;
        }

        public void Dispose() { }
    }

    static ServedModel Model(IClassifier classifier, int version) =>
        new(new ModelManifest
        {
            Name = "mnist-mlp",
            Version = version,
            Architecture = "test",
            Tensors = [],
            WeightsFileName = "weights.safetensors",
            WeightsSha256 = "",
            WeightsBytes = 0,
            Origin = OriginInfo.Current(),
            CreatedUtc = DateTimeOffset.UnixEpoch,
        }, classifier, 0);

    static byte[] Image(int first, int count = 1)
    {
        var pixels = new byte[784 * count];
        for (var i = 0; i < count; i++)
            pixels[i * 784] = (byte)(first + i);
        return pixels;
    }

    [Fact]
    public async Task Concurrent_requests_share_forward_passes_and_each_gets_its_own_rows()
    {
        var v1 = new RecordingClassifier(1);
        var v2 = new RecordingClassifier(2);
        var (model1, model2) = (Model(v1, 1), Model(v2, 2));
        var batcher = new DynamicBatcher(maxImages: 16);
        var requests = Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            var model = i % 3 == 0 ? model2 : model1;
            var count = i % 5 == 0 ? 3 : 1;
            var bytes = i % 2 == 0;
            var pixels = Image(i % 200, count);
            var answer = bytes
                ? await batcher.Probabilities(model, pixels, null, count)
                : await batcher.Probabilities(model, null, pixels.Select(p => p / 255f).ToArray(), count);
            return (i, model.Version, count, answer);
        })).ToArray();
        foreach (var (i, version, count, answer) in await Task.WhenAll(requests))
        {
            Assert.Equal(count * 10, answer.Length);
            for (var k = 0; k < count; k++)
            {
                Assert.Equal((i % 200 + k) % 256, answer[k * 10], 0.01f);
                Assert.Equal(version, answer[k * 10 + 1]);
            }
        }
        var batches = v1.Batches.Concat(v2.Batches).ToList();
        Assert.Equal(400 + 80 * 2, batches.Sum(b => b.Images));
        Assert.All(batches, b => Assert.InRange(b.Images, 1, 16));
        Assert.True(batches.Count < 400, $"{batches.Count} forward passes for 400 concurrent requests: none were batched.");
        Assert.InRange(Math.Max(v1.MostAtOnce, v2.MostAtOnce), 1, Environment.ProcessorCount);
    }

    [Fact]
    public async Task A_lone_request_is_computed_alone_at_once()
    {
        var classifier = new RecordingClassifier(7);
        var batcher = new DynamicBatcher(maxImages: 64);
        for (var i = 0; i < 5; i++)
        {
            var answer = await batcher.Probabilities(Model(classifier, 7), Image(i), null, 1);
            Assert.Equal(i, answer[0]);
        }
        Assert.Equal(Enumerable.Repeat((1, true), 5), classifier.Batches);
    }

    [Fact]
    public async Task A_failing_forward_pass_fails_its_requests_and_the_batcher_goes_on()
    {
        var classifier = new RecordingClassifier(1, fails: count => count >= 2);
        var model = Model(classifier, 1);
        var batcher = new DynamicBatcher(maxImages: 8);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
        {
            try
            {
                await batcher.Probabilities(model, Image(i), null, 1);
                return "ok";
            }
            catch (InvalidOperationException e)
            {
                return e.Message;
            }
        })));
        Assert.All(outcomes, o => Assert.True(o == "ok" || o.StartsWith("classifier failed on", StringComparison.Ordinal), o));
        Assert.Contains(outcomes, o => o != "ok");   // 60 requests at once on a 2 ms classifier form batches
        // Afterwards a request alone still gets its answer.
        Assert.Equal(5, (await batcher.Probabilities(model, Image(5), null, 1))[0]);
    }
}
