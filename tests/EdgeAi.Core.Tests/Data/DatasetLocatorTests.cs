using System.Net;
using System.Security.Cryptography;
using EdgeAi.Core.Data;
using EdgeAi.Core.Tests.Support;

namespace EdgeAi.Core.Tests.Data;

/// <summary>Where data is looked for, the checked download, and the offline message.</summary>
public sealed class DatasetLocatorTests : IDisposable
{
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task ExplicitDirectoryWins()
    {
        Idx.WriteDataset(temp.Combine("mine"), 3, 2);
        var locator = new DatasetLocator { CacheDirectory = temp.Combine("cache"), BakedDirectory = temp.Combine("baked") };
        Assert.Equal(temp.Combine("mine"), await locator.LocateAsync(temp.Combine("mine")));
    }

    [Fact]
    public async Task MissingExplicitDirectoryIsNamed()
    {
        var locator = new DatasetLocator { CacheDirectory = temp.Combine("cache"), BakedDirectory = temp.Combine("baked") };
        var e = await Assert.ThrowsAsync<EdgeAiException>(() => locator.LocateAsync(temp.Combine("nope")));
        Assert.Contains(temp.Combine("nope"), e.Message);
        Assert.Contains("--data", e.Message);
    }

    [Fact]
    public async Task BakedCopyIsUsedBeforeTheCache()
    {
        Idx.WriteDataset(temp.Combine("baked"), 3, 2);
        var locator = new DatasetLocator { CacheDirectory = temp.Combine("cache"), BakedDirectory = temp.Combine("baked") };
        Assert.Equal(temp.Combine("baked"), await locator.LocateAsync());
    }

    [Fact]
    public async Task OfflineFailureSaysWhatWasLookedForWhere()
    {
        var locator = new DatasetLocator
        {
            CacheDirectory = temp.Combine("cache"),
            BakedDirectory = temp.Combine("baked"),
            Mirrors = [new Uri("http://127.0.0.1:9/")],   // discard port: nothing listens
        };
        var e = await Assert.ThrowsAsync<EdgeAiException>(() => locator.LocateAsync());
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains(temp.Combine("baked"), e.Message);
        Assert.Contains(temp.Combine("cache"), e.Message);
        Assert.Contains("--data", e.Message);
    }

    [Fact]
    public async Task DownloadsFromAMirrorAndChecksSha256()
    {
        var source = temp.Combine("served");
        Idx.WriteDataset(source, 5, 3);
        using var server = new FileServer(source);
        var locator = new DatasetLocator
        {
            CacheDirectory = temp.Combine("cache"),
            BakedDirectory = temp.Combine("baked"),
            Mirrors = [server.Url],
            ExpectedSha256 = Hashes(source),
        };
        var dir = await locator.LocateAsync();
        Assert.Equal(temp.Combine("cache"), dir);
        Assert.Equal(5, MnistDataset.Load(dir).Train.Count);
    }

    [Fact]
    public async Task ADownloadWithTheWrongChecksumIsDiscarded()
    {
        var source = temp.Combine("served");
        Idx.WriteDataset(source, 5, 3);
        using var server = new FileServer(source);
        var hashes = Hashes(source).ToDictionary(kv => kv.Key, kv => kv.Value);
        hashes["t10k-images-idx3-ubyte.gz"] = new string('0', 64);
        var locator = new DatasetLocator
        {
            CacheDirectory = temp.Combine("cache"),
            BakedDirectory = temp.Combine("baked"),
            Mirrors = [server.Url],
            ExpectedSha256 = hashes,
        };
        var e = await Assert.ThrowsAsync<EdgeAiException>(() => locator.LocateAsync());
        Assert.Contains("t10k-images-idx3-ubyte.gz has SHA-256", e.Message);
        Assert.False(File.Exists(temp.Combine("cache", "t10k-images-idx3-ubyte.gz")));
        Assert.Empty(Directory.GetFiles(temp.Combine("cache"), "*.part"));
    }

    /// <summary>Other data under the cache's names (Fashion-MNIST copied there, a partial download): checked against
    /// MNIST's SHA-256 on every use, never trained on as MNIST; offline, the message says it is the download cache
    /// and what to do.</summary>
    [Fact]
    public async Task Cached_files_that_are_not_the_expected_download_are_replaced_or_named_with_the_cache()
    {
        var source = temp.Combine("served");
        Idx.WriteDataset(source, 5, 3, seed: 1);
        Idx.WriteDataset(temp.Combine("cache"), 7, 4, seed: 2);   // a complete set, but not the one expected
        var offline = new DatasetLocator
        {
            CacheDirectory = temp.Combine("cache"),
            BakedDirectory = temp.Combine("baked"),
            Mirrors = [new Uri("http://127.0.0.1:9/")],
            ExpectedSha256 = Hashes(source),
        };
        var e = await Assert.ThrowsAsync<EdgeAiException>(() => offline.LoadAsync());
        Assert.Matches($@"the cache {System.Text.RegularExpressions.Regex.Escape(temp.Combine("cache"))}, whose [a-z0-9-]+-ubyte\.gz has SHA-256 [0-9a-f]{{64}}, not MNIST's", e.Message);
        Assert.Contains("a partial download, or other data put there by hand", e.Message);
        Assert.Contains("pass --data DIR", e.Message);

        using var server = new FileServer(source);
        var online = new DatasetLocator
        {
            CacheDirectory = temp.Combine("cache"),
            BakedDirectory = temp.Combine("baked"),
            Mirrors = [server.Url],
            ExpectedSha256 = Hashes(source),
        };
        Assert.Equal(5, (await online.LoadAsync()).Train.Count);
        Assert.Equal(Hashes(source), Hashes(temp.Combine("cache")));
    }

    [Fact]
    public async Task A_truncated_cached_file_is_downloaded_again()
    {
        var source = temp.Combine("served");
        Idx.WriteDataset(source, 5, 3);
        Directory.CreateDirectory(temp.Combine("cache"));
        foreach (var file in Directory.GetFiles(source))
            File.Copy(file, temp.Combine("cache", Path.GetFileName(file)));
        var cached = temp.Combine("cache", "t10k-images-idx3-ubyte.gz");
        File.WriteAllBytes(cached, File.ReadAllBytes(cached)[..40]);
        using var server = new FileServer(source);
        var locator = new DatasetLocator
        {
            CacheDirectory = temp.Combine("cache"),
            BakedDirectory = temp.Combine("baked"),
            Mirrors = [server.Url],
            ExpectedSha256 = Hashes(source),
        };
        Assert.Equal(3, (await locator.LoadAsync()).Test.Count);
    }

    static Dictionary<string, string> Hashes(string dir) => Directory.GetFiles(dir).ToDictionary(
        f => Path.GetFileName(f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))).ToLowerInvariant());

    /// <summary>A loopback HTTP server for one directory.</summary>
    sealed class FileServer : IDisposable
    {
        readonly HttpListener listener = new();
        public Uri Url { get; }

        public FileServer(string directory)
        {
            var port = System.Net.Sockets.TcpListener.Create(0) is var probe ? Start(probe) : 0;
            Url = new Uri($"http://127.0.0.1:{port}/");
            listener.Prefixes.Add(Url.ToString());
            listener.Start();
            _ = Task.Run(async () =>
            {
                while (listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    { context = await listener.GetContextAsync(); }
                    catch { return; }
                    var path = Path.Combine(directory, context.Request.Url!.AbsolutePath.TrimStart('/'));
                    if (File.Exists(path))
                    {
                        var bytes = await File.ReadAllBytesAsync(path);
                        await context.Response.OutputStream.WriteAsync(bytes);
                    }
                    else
                        context.Response.StatusCode = 404;
                    context.Response.Close();
                }
            });
        }

        static int Start(System.Net.Sockets.TcpListener probe)
        {
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return port;
        }

        public void Dispose() => listener.Close();
    }
}
