using System.Security.Cryptography;
using EdgeAi.Core.Files;

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
    /// <summary>Where downloads go and are looked for (default <see cref="DefaultCacheDirectory"/>, resolved when first needed).</summary>
    public string CacheDirectory { get => cacheDirectory ??= DefaultCacheDirectory; init => cacheDirectory = value; }
    string? cacheDirectory;
    public string BakedDirectory { get; init; } = ImageDirectory;
    public HttpClient? Http { get; init; }
    /// <summary>The directory named by <c>EDGEAI_DATA_DIR</c>, if set.</summary>
    public string? EnvironmentDirectory { get; init; } =
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } dir ? dir : null;

    /// <summary><c>$XDG_CACHE_HOME/edgeai/mnist</c> (~/.cache/edgeai/mnist), which must be this user's alone
    /// (<see cref="UserFolders.RequireOwn"/>): nobody else may put data there for a training to read.</summary>
    public static string DefaultCacheDirectory =>
        UserFolders.RequireOwn(Path.Combine(UserFolders.CacheHome, "edgeai", "mnist"), "The MNIST download cache",
                               $"set {EnvironmentVariable} to a folder with the data, or XDG_CACHE_HOME to a folder of your own");

    /// <summary>The directory to read, downloading into the cache when nothing else holds the files. The files are
    /// found here and read (once) by <see cref="LoadAsync"/>.</summary>
    public async Task<string> LocateAsync(string? explicitDirectory = null, CancellationToken cancel = default)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
            return RequireComplete(explicitDirectory, "--data");
        if (EnvironmentDirectory is { } fromEnv)
            return RequireComplete(fromEnv, EnvironmentVariable);
        if (IsComplete(BakedDirectory))
            return BakedDirectory;
        await DownloadAsync(cancel);
        return CacheDirectory;
    }

    public async Task<MnistDataset> LoadAsync(string? explicitDirectory = null, CancellationToken cancel = default)
    {
        var dir = await LocateAsync(explicitDirectory, cancel);
        try
        {
            return await Task.Run(() => MnistDataset.Load(dir), cancel);
        }
        catch (EdgeAiException e) when (dir == CacheDirectory)
        {
            throw new EdgeAiException($"{e.Message} (That file is in the download cache {CacheDirectory}: delete the folder to download the data again.)", e);
        }
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
                // The cache holds downloads only, each checked against MNIST's SHA-256 on every use: a partial copy, a
                // damaged disk or another data set put there by hand is replaced, never trained on as MNIST.
                var target = Path.Combine(CacheDirectory, file);
                var cached = await CachedFileProblemAsync(target, sha, cancel);
                if (cached is null)
                    continue;
                if (!await TryMirrorsAsync(http, file, sha, target, failures, cancel))
                    throw new EdgeAiException(
                        $"No MNIST data found and the download failed. Looked for {string.Join(", ", MnistDataset.FileStems)} " +
                        $"(raw or .gz) in {BakedDirectory}, and for the downloads in the cache {CacheDirectory}" +
                        (cached == "missing" ? "" : $", whose {file} {cached}") +
                        $"; downloading {file} failed: {string.Join("; ", failures)}. " +
                        $"Put the four files in a folder and pass --data DIR or set {EnvironmentVariable} (the cache takes only MNIST's own files).");
            }
        }
        finally
        {
            if (Http is null)
                http.Dispose();
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

    /// <summary>Null when the cached file is MNIST's; else what is wrong with it ("missing", a FIFO, another checksum).</summary>
    static async Task<string?> CachedFileProblemAsync(string path, string sha, CancellationToken cancel)
    {
        var status = FileStatus.Of(path);
        if (status.Type == FileStatus.Kind.Missing)
            return "missing";
        if (status.Type != FileStatus.Kind.Regular)
            return $"is not a regular file ({status.Type})";
        var actual = await Sha256Async(path, cancel);
        return actual == sha ? null : $"has SHA-256 {actual}, not MNIST's {sha} (a partial download, or other data put there by hand)";
    }

    static async Task<string> Sha256Async(string path, CancellationToken cancel)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, cancel)).ToLowerInvariant();
    }
}
