using System.Diagnostics;
using System.Reflection;
using EdgeAi.Core.Store;
using EdgeAi.Core.Tests.Support;

namespace EdgeAi.Core.Tests.Store;

/// <summary>Separate processes writing and reading one store, and writers killed with SIGKILL mid-save.</summary>
[Trait("Needs", "libtorch")]
[Trait("Needs", "dotnet-host")]   // runs `dotnet StoreWorker.dll`: the arm64 group has no .NET host to run it with
public sealed class ConcurrencyTests : IDisposable
{
    static readonly string Worker = typeof(ConcurrencyTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "StoreWorker").Value!;

    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    static Process Start(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Worker);
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    static async Task<string> Finish(Process process)
    {
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"worker exited {process.ExitCode}: {output} {errors}");
        return output;
    }

    [Fact]
    public async Task FourWritersAndFourReadersNeverSeeATornVersion()
    {
        var books = temp.Combine("books");
        var stop = temp.Combine("stop");
        var readers = Enumerable.Range(0, 4).Select(_ => Start("reader", books, "shared", stop)).ToList();
        var writers = Enumerable.Range(0, 4).Select(i => Start("writer", books, "shared", "25", i.ToString())).ToList();

        var written = (await Task.WhenAll(writers.Select(Finish)))
            .SelectMany(o => o.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).ToList();
        File.WriteAllText(stop, "");
        var readerOutputs = await Task.WhenAll(readers.Select(Finish));

        Assert.Equal(Enumerable.Range(1, 100), written.Order());   // 100 saves, 100 distinct versions
        foreach (var output in readerOutputs)
        {
            Assert.DoesNotContain("failure", output);
            Assert.Matches(@"loads [1-9]\d*", output);
        }
        var store = new WeightStore(books);
        Assert.Equal(100, store.List("shared").Count);
        for (var v = 1; v <= 100; v++)
            using (var loaded = store.Load(new ModelRef("shared", v)))
                Assert.Equal(v, loaded.Manifest.Version);
        using var latest = store.Load(ModelRef.Parse("shared"));
        Assert.Equal(100, latest.Manifest.Version);
    }

    [Fact]
    public async Task WritersKilledMidSaveLeaveNoBrokenVersion()
    {
        var books = temp.Combine("books");
        var stop = temp.Combine("stop");
        var reader = Start("reader", books, "crashy", stop);
        var random = new Random(3);
        for (var round = 0; round < 8; round++)
        {
            using var writer = Start("writer", books, "crashy", "1000", round.ToString());
            // Kill once it has saved at least one version, at a random point of a later save.
            await writer.StandardOutput.ReadLineAsync();
            await Task.Delay(random.Next(5, 60));
            writer.Kill();   // SIGKILL
            await writer.WaitForExitAsync();
        }
        File.WriteAllText(stop, "");
        var readerOutput = await Finish(reader);
        Assert.DoesNotContain("failure", readerOutput);

        var store = new WeightStore(books);
        var versions = store.List("crashy");
        Assert.True(versions.Count >= 8, $"only {versions.Count} versions survived");
        foreach (var v in versions)
            using (store.Load(new ModelRef("crashy", v.Manifest.Version)))
            { }

        // Every directory that looks like a version is complete; leftovers are hidden and go with the next save.
        var modelDir = Path.Combine(books, "crashy");
        Assert.All(Directory.GetDirectories(modelDir, "v*"), d => Assert.Equal(2, Directory.GetFiles(d).Length));
        await Finish(Start("writer", books, "crashy", "1", "99"));
        Assert.Empty(Directory.GetFileSystemEntries(modelDir, ".*"));
    }
}
