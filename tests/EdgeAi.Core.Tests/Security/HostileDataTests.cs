using System.Buffers.Binary;
using System.IO.Compression;
using EdgeAi.Core.Data;

namespace EdgeAi.Core.Tests.Security;

/// <summary>Data files that lie (docs/security.md): damaged gzip bodies are caught by their CRC, and a header that
/// announces more than the file holds costs no more memory than the file really has.</summary>
public sealed class HostileDataTests : IDisposable
{
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    [Fact]
    public void A_gzip_file_whose_checksum_does_not_match_is_refused()
    {
        var path = temp.Combine("images.gz");
        Idx.Write(path, IdxFile.ImagesMagic, [3, 28, 28], Enumerable.Range(0, 3 * 784).Select(i => (byte)i).ToArray(), gzip: true);
        Assert.Equal(3, IdxFile.ReadImages(path).Count);
        var bytes = File.ReadAllBytes(path);
        bytes[^8] ^= 0x55;   // the trailer's CRC-32: the data inflates, but it is not what was written
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<EdgeAiException>(() => IdxFile.ReadImages(path));
        Assert.Contains("gzip stream is damaged", e.Message);
    }

    [Fact]
    public void A_header_that_announces_a_million_images_in_a_tiny_file_allocates_almost_nothing()
    {
        // Header: 999,999 images of 28x28 (783 MB); body: one image.
        var path = temp.Combine("bomb.gz");
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.SmallestSize))
        {
            Span<byte> header = stackalloc byte[16];
            BinaryPrimitives.WriteInt32BigEndian(header, IdxFile.ImagesMagic);
            BinaryPrimitives.WriteInt32BigEndian(header[4..], 999_999);
            BinaryPrimitives.WriteInt32BigEndian(header[8..], 28);
            BinaryPrimitives.WriteInt32BigEndian(header[12..], 28);
            gzip.Write(header);
            gzip.Write(new byte[784]);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<EdgeAiException>(() => IdxFile.ReadImages(path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("truncated", e.Message);
        Assert.True(allocated < 16 << 20, $"reading a {new FileInfo(path).Length}-byte file allocated {allocated:N0} bytes");
    }

    [Theory]
    [InlineData(1_000_001, 28, "dimension 0 is 1000001; it must be 1-1,000,000")]
    [InlineData(10, 100_000, "dimension 1 is 100000; it must be 1-1,024")]
    public void Counts_and_sizes_beyond_any_mnist_set_are_refused_before_reading(int count, int side, string message)
    {
        var path = temp.Combine("huge");
        Idx.Write(path, IdxFile.ImagesMagic, [count, side, side], new byte[16]);
        Assert.Contains(message, Assert.Throws<EdgeAiException>(() => IdxFile.ReadImages(path)).Message);
    }
}
