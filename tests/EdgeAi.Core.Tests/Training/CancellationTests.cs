using EdgeAi.Core.Store;
using EdgeAi.Core.Tests.Support;
using EdgeAi.Core.Training;

namespace EdgeAi.Core.Tests.Training;

[Trait("Needs", "libtorch")]   // TorchSharp's native backend (on arm64, the one docker/libtorchsharp builds)
public sealed class CancellationTests
{
    [Fact]
    public async Task CancelledTrainingStopsAtTheNextBatchAndSavesNothing()
    {
        using var temp = new TempDirectory();
        Idx.WriteDataset(temp.Combine("data"), train: 3000, test: 100);
        var store = new WeightStore(temp.Combine("books"));
        var lab = await Lab.OpenAsync(temp.Combine("data"), store);
        lab.TrainAndSave("digits", new TrainingOptions { Epochs = 1, Seed = 1 }).Model.Dispose();
        var before = Directory.GetFileSystemEntries(temp.Combine("books"), "*", SearchOption.AllDirectories).Order().ToList();

        using var cancel = new CancellationTokenSource();
        var batches = new List<int>();
        var options = new TrainingOptions { Epochs = 5, BatchSize = 8, ProgressInterval = TimeSpan.Zero };
        Assert.ThrowsAny<OperationCanceledException>(() => lab.TrainAndSave("digits", options, p =>
        {
            batches.Add(p.Batch);
            if (p.Batch == 10)
                cancel.Cancel();
        }, cancel.Token));

        Assert.Equal(10, batches.Max());   // stopped before batch 11
        var after = Directory.GetFileSystemEntries(temp.Combine("books"), "*", SearchOption.AllDirectories).Order().ToList();
        Assert.Equal(before, after);
        Assert.Equal(1, store.Load(ModelRef.Parse("digits")).Manifest.Version);
    }
}
