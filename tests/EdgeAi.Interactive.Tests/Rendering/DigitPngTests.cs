using System.Buffers.Binary;
using System.IO.Compression;
using EdgeAi.Interactive.Rendering;

namespace EdgeAi.Interactive.Tests.Rendering;

public sealed class DigitPngTests
{
    [Fact]
    public void ThePngHoldsThePixels()
    {
        var pixels = Enumerable.Range(0, 784).Select(i => (byte)(i % 256)).ToArray();
        var png = DigitPng.Encode(pixels);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal(28, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(28, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));

        var idatLength = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(33));
        Assert.Equal("IDAT", System.Text.Encoding.ASCII.GetString(png, 37, 4));
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(png, 41, idatLength), CompressionMode.Decompress))
            zlib.CopyTo(inflated);
        var rows = inflated.ToArray();
        Assert.Equal(28 * 29, rows.Length);
        for (var row = 0; row < 28; row++)
        {
            Assert.Equal(0, rows[row * 29]);
            Assert.Equal(pixels.AsSpan(row * 28, 28).ToArray(), rows.AsSpan(row * 29 + 1, 28).ToArray());
        }
        Assert.Equal("IEND", System.Text.Encoding.ASCII.GetString(png, png.Length - 8, 4));
    }
}
