using EdgeAi.Core.Store;
using EdgeAi.Core.Training;

namespace EdgeAi.Core.Tests.Store;

/// <summary>A store that cannot take a new version fails before training, not after the last epoch.</summary>
[Trait("Needs", "libtorch")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UnwritableStoreTests : IDisposable
{
    readonly TempDirectory temp = new();
    string? mounted;

    public static TheoryData<string> Stores => ["read-only", "file-in-the-way", "full"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Training_into_a_store_that_cannot_be_written_fails_at_once_and_trains_nothing(string kind)
    {
        var root = Unwritable(kind);
        Idx.WriteDataset(temp.Combine("data"), train: 64, test: 8);
        var lab = await Lab.OpenAsync(temp.Combine("data"), new WeightStore(root));
        var batches = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<EdgeAiException>(() => lab.TrainAndSave("mnist-mlp",
            new TrainingOptions { Epochs = TrainingOptions.MaxEpochs, BatchSize = 1 }, _ => batches++));
        Assert.Equal(0, batches);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"it took {clock.Elapsed}");
        Assert.Contains($"Cannot write to the weight store {root}", e.Message);
        Assert.Contains("training was not started", e.Message);
        if (kind == "full")
            Assert.Contains("KiB free; a version takes about 512 KiB", e.Message);
        Assert.False(Directory.Exists(Path.Combine(root, "mnist-mlp")), "the check left the model's folder behind");
    }

    /// <summary>Root writes through permissions, so as root the read-only store is a read-only mount of its own.</summary>
    string Unwritable(string kind)
    {
        if (kind == "file-in-the-way")
        {
            File.WriteAllText(temp.Combine("volume"), "not a folder");
            return temp.Combine("volume", "books");
        }
        var root = Directory.CreateDirectory(temp.Combine("books")).FullName;
        if (kind == "full")
        {
            if (Files.FileStatus.Me.User != 0)
                Assert.Skip("a small volume of its own needs root (CI runs as root)");
            Processes.Run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", root);
        }
        else if (Files.FileStatus.Me.User == 0)
            Processes.Run("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", root);
        else
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        mounted = Files.FileStatus.Me.User == 0 ? root : null;
        return root;
    }

    public void Dispose()
    {
        if (mounted is not null)
            Processes.Execute("umount", mounted);
        temp.Dispose();
    }
}
