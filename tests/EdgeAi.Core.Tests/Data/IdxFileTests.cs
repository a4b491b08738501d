using EdgeAi.Core.Data;
using EdgeAi.Core.Tests.Support;

namespace EdgeAi.Core.Tests.Data;

/// <summary>Every malformed input names the file and the bad value.</summary>
public sealed class IdxFileTests : IDisposable
{
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsRawAndGzippedFiles(bool gzip)
    {
        Idx.WriteDataset(temp.Path, train: 12, test: 5, gzip: gzip);
        var data = MnistDataset.Load(temp.Path);
        Assert.Equal(12, data.Train.Count);
        Assert.Equal(5, data.Test.Count);
        Assert.Equal(12 * 784, data.Train.Pixels.Length);
    }

    /// <summary>A FIFO blocks whoever opens it until someone writes; /dev/zero never ends. Neither is opened.</summary>
    [Fact]
    public void A_data_file_that_is_a_fifo_or_a_device_is_refused_without_opening_it()
    {
        Idx.WriteDataset(temp.Path, train: 12, test: 5);
        var images = temp.Combine("train-images-idx3-ubyte.gz");
        File.Delete(images);
        Processes.Run("mkfifo", images);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<EdgeAiException>(() => MnistDataset.Load(temp.Path));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the FIFO was opened");
        Assert.Contains($"{images} is not a regular file (it is a FIFO (named pipe))", e.Message);

        File.Delete(images);
        File.CreateSymbolicLink(images, "/dev/zero");
        e = Assert.Throws<EdgeAiException>(() => MnistDataset.Load(temp.Path));
        Assert.Contains("it is a device, through the link to /dev/zero", e.Message);
    }

    [Fact]
    public void A_link_to_a_regular_data_file_is_read()
    {
        Idx.WriteDataset(temp.Combine("real"), train: 12, test: 5);
        Directory.CreateDirectory(temp.Combine("links"));
        foreach (var file in Directory.GetFiles(temp.Combine("real")))
            File.CreateSymbolicLink(temp.Combine("links", Path.GetFileName(file)), file);
        Assert.Equal(12, MnistDataset.Load(temp.Combine("links")).Train.Count);
    }

    [Fact]
    public void WrongMagicIsNamed()
    {
        var path = temp.Combine("labels");
        Idx.Write(path, 0x802, [3], [1, 2, 3]);
        var e = Assert.Throws<EdgeAiException>(() => IdxFile.ReadLabels(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("0x00000802", e.Message);
        Assert.Contains("0x00000801", e.Message);
    }

    [Fact]
    public void ImagesFileGivenAsLabelsIsRejected()
    {
        var path = temp.Combine("images");
        Idx.Write(path, 0x803, [1, 28, 28], new byte[784]);
        var e = Assert.Throws<EdgeAiException>(() => IdxFile.ReadLabels(path));
        Assert.Contains("not an IDX labels file", e.Message);
    }

    [Fact]
    public void TruncatedDataIsRejected()
    {
        var path = temp.Combine("images");
        Idx.Write(path, 0x803, [2, 28, 28], new byte[784 + 100]);
        var e = Assert.Throws<EdgeAiException>(() => IdxFile.ReadImages(path));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("884 of the 1568 bytes", e.Message);
    }

    [Fact]
    public void TruncatedHeaderIsRejected()
    {
        var path = temp.Combine("short");
        File.WriteAllBytes(path, [0, 0, 8]);
        var e = Assert.Throws<EdgeAiException>(() => IdxFile.ReadImages(path));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void DamagedGzipIsRejected()
    {
        var path = temp.Combine("images.gz");
        Idx.Write(path, 0x803, [2, 28, 28], new byte[2 * 784], gzip: true);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<EdgeAiException>(() => IdxFile.ReadImages(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void LabelOutsideTheTenClassesIsRejected()
    {
        var path = temp.Combine("labels");
        Idx.Write(path, 0x801, [3], [1, 12, 3]);
        var e = Assert.Throws<EdgeAiException>(() => IdxFile.ReadLabels(path));
        Assert.Contains("label 12 at index 1", e.Message);
    }

    [Fact]
    public void MismatchedImageAndLabelCountsAreRejected()
    {
        Idx.WriteDataset(temp.Path, train: 4, test: 2, gzip: false);
        Idx.Write(temp.Combine("train-labels-idx1-ubyte"), 0x801, [3], [1, 2, 3]);
        var e = Assert.Throws<EdgeAiException>(() => MnistDataset.Load(temp.Path));
        Assert.Contains("holds 4 images but", e.Message);
        Assert.Contains("3 labels", e.Message);
    }

    [Fact]
    public void WrongImageSizeIsRejected()
    {
        Idx.WriteDataset(temp.Path, train: 2, test: 2, gzip: false);
        Idx.Write(temp.Combine("t10k-images-idx3-ubyte"), 0x803, [2, 32, 32], new byte[2 * 32 * 32]);
        var e = Assert.Throws<EdgeAiException>(() => MnistDataset.Load(temp.Path));
        Assert.Contains("32x32", e.Message);
        Assert.Contains("28x28", e.Message);
    }

    [Fact]
    public void MissingFilesAreListed()
    {
        Idx.WriteDataset(temp.Path, train: 2, test: 2, gzip: false);
        File.Delete(temp.Combine("t10k-labels-idx1-ubyte"));
        var e = Assert.Throws<EdgeAiException>(() => MnistDataset.Load(temp.Path));
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
        Assert.Contains(temp.Path, e.Message);
    }
}
