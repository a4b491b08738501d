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
    /// <summary>Sane limits, checked before anything is allocated: MNIST-format sets hold 10,000-70,000 images.</summary>
    public const int MaxItems = 1_000_000, MaxSide = 1_024;

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

    /// <summary>The most a file may hold: the largest set these limits allow, plus its header.</summary>
    public const long MaxFileBytes = (long)MaxItems * 28 * 28 + 64;

    static (int[] Dims, byte[] Data) Read(string path, int expectedMagic, string kind)
    {
        RequireRegularFile(path);
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

            var rank = magic & 0xFF;
            var dims = new int[rank];
            long total = 1;
            for (var d = 0; d < dims.Length; d++)
            {
                ReadExactly(stream, word, path, "the header");
                dims[d] = BinaryPrimitives.ReadInt32BigEndian(word);
                var limit = d == 0 ? MaxItems : MaxSide;
                if (dims[d] <= 0 || dims[d] > limit)
                    throw new EdgeAiException($"{path}: dimension {d} is {dims[d]}; it must be 1-{limit:N0} ({(d == 0 ? "items" : "pixels")}).");
                total *= dims[d];
            }
            if (total > (long)MaxItems * 28 * 28)
                throw new EdgeAiException($"{path}: {total:N0} bytes of data is more than an MNIST-format set holds (at most {(long)MaxItems * 28 * 28:N0}).");
            // A raw file must hold exactly what its header says; a gzip file is read in pieces, so a header that
            // lies (a "gzip bomb" that claims a million images) costs only what it really decompresses to.
            if (stream is FileStream raw && raw.Length - raw.Position < total)
                throw new EdgeAiException($"{path} is truncated: it ended after {raw.Length - raw.Position} of the {total} bytes of data its header announces.");
            var data = ReadAll(stream, total, path);
            // Reading on to the end makes the gzip reader check its trailer (CRC-32 and length): damaged data
            // that still inflates is caught here, and so is anything after the data.
            if (stream.ReadByte() != -1)
                throw new EdgeAiException($"{path} holds more than the {total:N0} bytes of data its header announces.");
            return (dims, data);
        }
        catch (InvalidDataException e)
        {
            throw new EdgeAiException($"{path}: the gzip stream is damaged ({e.Message}).", e);
        }
    }

    /// <summary>
    /// A data file is opened only when it is a regular file (a link to one is fine) of a size a data set can have:
    /// a FIFO would block the reader until someone writes to it (a notebook's kernel with it), and a device such as
    /// /dev/zero never ends. The type and size are read without opening the file.
    /// </summary>
    static void RequireRegularFile(string path)
    {
        var real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        var status = Files.FileStatus.Of(real);
        if (status.Type == Files.FileStatus.Kind.Missing)
            throw new EdgeAiException($"{path} does not exist.");
        if (status.Type != Files.FileStatus.Kind.Regular)
            throw new EdgeAiException($"{path} is not a regular file (it is a {Describe(status.Type)}{(real == path ? "" : $", through the link to {real}")}); " +
                                      "data files must be regular IDX files, raw or .gz. It was not opened.");
        if (status.Length > MaxFileBytes)
            throw new EdgeAiException($"{path} holds {status.Length:N0} bytes, more than an MNIST-format file can ({MaxFileBytes:N0}); it was not read.");
    }

    static string Describe(Files.FileStatus.Kind kind) => kind switch
    {
        Files.FileStatus.Kind.Fifo => "FIFO (named pipe)",
        Files.FileStatus.Kind.Directory => "folder",
        Files.FileStatus.Kind.CharacterDevice or Files.FileStatus.Kind.BlockDevice => "device",
        Files.FileStatus.Kind.Socket => "socket",
        _ => kind.ToString().ToLowerInvariant(),
    };

    static byte[] ReadAll(Stream stream, long total, string path)
    {
        using var data = new MemoryStream();
        var buffer = new byte[1 << 20];
        while (data.Length < total)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, total - data.Length));
            if (read == 0)
                throw new EdgeAiException($"{path} is truncated: it ended after {data.Length:N0} of the {total:N0} bytes of data its header announces.");
            data.Write(buffer, 0, read);
        }
        return data.Length == data.GetBuffer().Length ? data.GetBuffer() : data.ToArray();
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
