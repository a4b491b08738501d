using System.Security.Cryptography;

namespace EdgeAi.Core.Data;

/// <summary>
/// Finds the MNIST files: an explicit directory, else <c>EDGEAI_DATA_DIR</c>, else the container image's
/// baked-in copy, else a per-user cache, downloading into the cache (SHA-256 checked) when allowed.
/// </summary>
public sealed class DatasetLocator
{
    public const string EnvironmentVariable = "EDGEAI_DATA_DIR";
    public const string ImageDirectory = "/opt/edgeai/data/mnist";

    /// <summary>Public mirrors of the original MNIST files, tried in order.</summary>
    public static readonly Uri[] DefaultMirrors =
    [
        new("https://storage.googleapis.com/cvdf-datasets/mnist/"),
        new("https://ossci-datasets.s3.amazonaws.com/mnist/"),
    ];

    /// <summary>SHA-256 of the four original MNIST .gz files.</summary>
    public static readonly IReadOnlyDictionary<string, string> MnistSha256 = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte.gz"] = "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ["train-labels-idx1-ubyte.gz"] = "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ["t10k-images-idx3-ubyte.gz"] = "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ["t10k-labels-idx1-ubyte.gz"] = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    };

    public IReadOnlyList<Uri> Mirrors { get; init; } = DefaultMirrors;
    public IReadOnlyDictionary<string, string> ExpectedSha256 { get; init; } = MnistSha256;
    public string CacheDirectory { get; init; } = DefaultCacheDirectory;
    public string BakedDirectory { get; init; } = ImageDirectory;
    public HttpClient? Http { get; init; }
    /// <summary>The directory named by <c>EDGEAI_DATA_DIR</c>, if set.</summary>
    public string? EnvironmentDirectory { get; init; } =
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } dir ? dir : null;

    public static string DefaultCacheDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "edgeai", "mnist");

    /// <summary>The directory to read, downloading into the cache when nothing else holds the files. The files are
    /// found here and read (once) by <see cref="LoadAsync"/>.</summary>
    public async Task<string> LocateAsync(string? explicitDirectory = null, CancellationToken cancel = default)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory)) return RequireComplete(explicitDirectory, "--data");
        if (EnvironmentDirectory is { } fromEnv) return RequireComplete(fromEnv, EnvironmentVariable);
        if (IsComplete(BakedDirectory)) return BakedDirectory;
        if (IsComplete(CacheDirectory)) return CacheDirectory;
        await DownloadAsync(cancel);
        return CacheDirectory;
    }

    public async Task<MnistDataset> LoadAsync(string? explicitDirectory = null, CancellationToken cancel = default)
    {
        var dir = await LocateAsync(explicitDirectory, cancel);
        return await Task.Run(() => MnistDataset.Load(dir), cancel);
    }

    static bool IsComplete(string dir) => MnistDataset.FileStems.All(stem => MnistDataset.FindFile(dir, stem) is not null);

    static string RequireComplete(string dir, string source)
    {
        if (!Directory.Exists(dir))
            throw new EdgeAiException($"Data directory '{dir}' (from {source}) does not exist.");
        MnistDataset.RequireFiles(dir);
        return dir;
    }

    async Task DownloadAsync(CancellationToken cancel)
    {
        Directory.CreateDirectory(CacheDirectory);
        var http = Http ?? new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var failures = new List<string>();
        try
        {
            foreach (var (file, sha) in ExpectedSha256)
            {
                var target = Path.Combine(CacheDirectory, file);
                if (File.Exists(target) && await Sha256Async(target, cancel) == sha) continue;
                if (!await TryMirrorsAsync(http, file, sha, target, failures, cancel))
                    throw new EdgeAiException(
                        $"No MNIST data found and the download failed. Looked for {string.Join(", ", MnistDataset.FileStems)} " +
                        $"(raw or .gz) in " +
                        $"{BakedDirectory} and {CacheDirectory}; downloading {file} failed: {string.Join("; ", failures)}. " +
                        $"Copy the four files into one of those directories, or pass --data DIR / set {EnvironmentVariable}.");
            }
        }
        finally
        {
            if (Http is null) http.Dispose();
        }
    }

    async Task<bool> TryMirrorsAsync(HttpClient http, string file, string sha, string target, List<string> failures,
                                     CancellationToken cancel)
    {
        foreach (var mirror in Mirrors)
        {
            var temp = $"{target}.{Guid.NewGuid():N}.part";
            try
            {
                using (var response = await http.GetAsync(new Uri(mirror, file), HttpCompletionOption.ResponseHeadersRead, cancel))
                {
                    response.EnsureSuccessStatusCode();
                    await using var output = File.Create(temp);
                    await response.Content.CopyToAsync(output, cancel);
                }
                var actual = await Sha256Async(temp, cancel);
                if (actual != sha)
                {
                    failures.Add($"{mirror}{file} has SHA-256 {actual}, expected {sha}");
                    continue;
                }
                File.Move(temp, target, overwrite: true);
                return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !cancel.IsCancellationRequested)
            {
                failures.Add($"{mirror}: {e.Message}");
            }
            finally
            {
                File.Delete(temp);
            }
        }
        return false;
    }

    static async Task<string> Sha256Async(string path, CancellationToken cancel)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, cancel)).ToLowerInvariant();
    }
}
