using System.Buffers.Binary;
using System.IO.Compression;

namespace EdgeAi.Core.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (big-endian header: two zero bytes, a type byte
/// 0x08 = unsigned byte, the number of dimensions, then one 32-bit size per dimension), raw or gzipped.
/// Written by hand: the format is a 16-byte header, and no maintained .NET package reads it.
/// </summary>
public static class IdxFile
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Images as one byte array (count x rows x columns, row-major).</summary>
    public static (byte[] Pixels, int Count, int Rows, int Columns) ReadImages(string path)
    {
        var (dims, data) = Read(path, ImagesMagic, "images");
        return (data, dims[0], dims[1], dims[2]);
    }

    public static byte[] ReadLabels(string path)
    {
        var (_, data) = Read(path, LabelsMagic, "labels");
        for (var i = 0; i < data.Length; i++)
            if (data[i] > 9)
                throw new EdgeAiException($"{path}: label {data[i]} at index {i} is not a digit class 0-9.");
        return data;
    }

    static (int[] Dims, byte[] Data) Read(string path, int expectedMagic, string kind)
    {
        using var file = File.OpenRead(path);
        using var stream = IsGzip(file) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        try
        {
            Span<byte> word = stackalloc byte[4];
            ReadExactly(stream, word, path, "the header");
            var magic = BinaryPrimitives.ReadInt32BigEndian(word);
            if (magic != expectedMagic)
                throw new EdgeAiException(
                    $"{path}: magic number 0x{magic:X8} is not an IDX {kind} file (expected 0x{expectedMagic:X8}).");

            var dims = new int[magic & 0xFF];
            long total = 1;
            for (var d = 0; d < dims.Length; d++)
            {
                ReadExactly(stream, word, path, "the header");
                dims[d] = BinaryPrimitives.ReadInt32BigEndian(word);
                if (dims[d] <= 0)
                    throw new EdgeAiException($"{path}: dimension {d} is {dims[d]}; every dimension must be positive.");
                total *= dims[d];
            }
            if (total > Array.MaxLength)
                throw new EdgeAiException($"{path}: {total} values is more than one array can hold.");

            var data = new byte[total];
            ReadExactly(stream, data, path, $"{total} bytes of data");
            return (dims, data);
        }
        catch (InvalidDataException e)
        {
            throw new EdgeAiException($"{path}: the gzip stream is damaged ({e.Message}).", e);
        }
    }

    static bool IsGzip(FileStream file)
    {
        Span<byte> head = stackalloc byte[2];
        var n = file.Read(head);
        file.Position = 0;
        return n == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    static void ReadExactly(Stream stream, Span<byte> buffer, string path, string what)
    {
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
            throw new EdgeAiException($"{path} is truncated: it ended after {read} of the {buffer.Length} bytes of {what}.");
    }
}
