namespace EdgeAi.Core.Data;

/// <summary>One split of an MNIST-format data set: 28x28 grey images as bytes, and labels 0-9.</summary>
public sealed record MnistSplit(byte[] Pixels, byte[] Labels)
{
    public const int Side = 28;
    public const int PixelsPerImage = Side * Side;

    public int Count => Labels.Length;

    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);

    /// <summary>A split with the given images, in that order.</summary>
    public MnistSplit Select(IReadOnlyList<int> indices)
    {
        var pixels = new byte[indices.Count * PixelsPerImage];
        var labels = new byte[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            Image(indices[i]).CopyTo(pixels.AsSpan(i * PixelsPerImage));
            labels[i] = Labels[indices[i]];
        }
        return new MnistSplit(pixels, labels);
    }
}

/// <summary>Training and test splits plus where they came from (recorded in each model's manifest).</summary>
public sealed record MnistDataset(string Name, string Directory, MnistSplit Train, MnistSplit Test)
{
    public static readonly string[] FileStems =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Reads the four IDX files (each raw or .gz) from <paramref name="directory"/>.</summary>
    public static MnistDataset Load(string directory, string? name = null)
    {
        RequireFiles(directory);
        var paths = FileStems.Select(stem => FindFile(directory, stem)!).ToArray();
        return new MnistDataset(
            name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))),
            directory,
            ReadSplit(paths[0], paths[1]),
            ReadSplit(paths[2], paths[3]));
    }

    /// <summary>Throws, naming the missing ones, unless all four files are in <paramref name="directory"/>.</summary>
    public static void RequireFiles(string directory)
    {
        var missing = FileStems.Where(stem => FindFile(directory, stem) is null).ToList();
        if (missing.Count > 0)
            throw new EdgeAiException($"MNIST files missing in {directory}: {string.Join(", ", missing)} (each may end in .gz).");
    }

    public static string? FindFile(string directory, string stem) =>
        new[] { stem + ".gz", stem }.Select(f => Path.Combine(directory, f)).FirstOrDefault(File.Exists);

    static MnistSplit ReadSplit(string imagesPath, string labelsPath)
    {
        var (pixels, count, rows, columns) = IdxFile.ReadImages(imagesPath);
        if (rows != MnistSplit.Side || columns != MnistSplit.Side)
            throw new EdgeAiException(
                $"{imagesPath}: images are {rows}x{columns}; the model takes {MnistSplit.Side}x{MnistSplit.Side}.");
        var labels = IdxFile.ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new EdgeAiException(
                $"{imagesPath} holds {count} images but {labelsPath} holds {labels.Length} labels; they must match.");
        return new MnistSplit(pixels, labels);
    }
}
