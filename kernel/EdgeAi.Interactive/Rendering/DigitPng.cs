using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace EdgeAi.Interactive.Rendering;

/// <summary>
/// A 28x28 grey digit as a PNG (the report's plt.imshow). Written by hand: one 8-bit greyscale image needs
/// only the PNG signature, IHDR, one zlib-compressed IDAT and IEND (RFC 2083), which the BCL's ZLibStream
/// and System.IO.Hashing's CRC-32 cover; an imaging library would add native dependencies to every pod.
/// </summary>
public static class DigitPng
{
    static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width = 28, int height = 28)
    {
        if (pixels.Length != width * height)
            throw new ArgumentException($"{pixels.Length} pixels do not make a {width}x{height} image.", nameof(pixels));
        using var png = new MemoryStream();
        png.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;   // bit depth
        header[9] = 0;   // greyscale; compression, filter and interlace stay 0
        Chunk(png, "IHDR", header);

        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            for (var row = 0; row < height; row++)
            {
                zlib.WriteByte(0);   // filter type None
                zlib.Write(pixels.Slice(row * width, width));
            }
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>An HTML img of the digit, scaled up without smoothing.</summary>
    public static string DataUri(ReadOnlySpan<byte> pixels) => $"data:image/png;base64,{Convert.ToBase64String(Encode(pixels))}";

    static void Chunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        var crc = new Crc32();
        crc.Append(typeBytes);
        crc.Append(data);
        Span<byte> checksum = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(checksum, crc.GetCurrentHashAsUInt32());
        png.Write(checksum);
    }
}
