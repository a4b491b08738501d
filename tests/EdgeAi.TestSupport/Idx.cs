using System.Buffers.Binary;
using System.IO.Compression;

namespace EdgeAi.TestSupport;

/// <summary>Writes IDX files (the MNIST format) for tests, raw or gzipped.</summary>
public static class Idx
{
    public static void Write(string path, int magic, int[] dims, byte[] data, bool gzip = false)
    {
        using var file = File.Create(path);
        using var stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : (Stream)file;
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, magic);
        stream.Write(word);
        foreach (var d in dims)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, d);
            stream.Write(word);
        }
        stream.Write(data);
    }

    /// <summary>A complete MNIST-format directory of random images (plumbing tests only, not accuracy).</summary>
    public static void WriteDataset(string directory, int train, int test, int seed = 1, bool gzip = true)
    {
        var random = new Random(seed);
        Directory.CreateDirectory(directory);
        foreach (var (prefix, count) in new[] { ("train", train), ("t10k", test) })
        {
            var pixels = new byte[count * 784];
            random.NextBytes(pixels);
            var labels = Enumerable.Range(0, count).Select(_ => (byte)random.Next(10)).ToArray();
            var suffix = gzip ? ".gz" : "";
            Write(Path.Combine(directory, $"{prefix}-images-idx3-ubyte{suffix}"), 0x803, [count, 28, 28], pixels, gzip);
            Write(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte{suffix}"), 0x801, [count], labels, gzip);
        }
    }
}
