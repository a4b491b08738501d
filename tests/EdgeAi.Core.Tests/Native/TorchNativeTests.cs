using EdgeAi.Core.Native;
using TorchSharp;

namespace EdgeAi.Core.Tests.Native;

/// <summary>TorchSharp's backend loads here, and the repair of its libstdc++ requirement is exactly two edits.</summary>
public sealed class TorchNativeTests
{
    static string BackendInOutput => Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");

    [Fact, Trait("Needs", "libtorch")]
    public void TorchSharpComputes()
    {
        TorchNative.EnsureLoaded();
        using var sum = torch.arange(1, 5).sum();
        Assert.Equal(10, sum.item<long>());
    }

    // The repair concerns the linux-x64 library in TorchSharp's package; arm64 has no packaged library (its backend
    // is built against Debian 13's libstdc++ and needs none), so the arm64 group leaves this out.
    [Fact, Trait("Needs", "libtorch"), Trait("Needs", "packaged-x64-backend")]
    public void RepairMarksOnlyTheMissingVersionWeak()
    {
        var original = File.ReadAllBytes(BackendInOutput);
        Assert.Contains(ElfEdit.ReadVersionNeeds(original), n => n is ("libstdc++.so.6", "GLIBCXX_3.4.32", false));
        // The copy is found by this name when TorchSharp asks for the library.
        Assert.Equal("libLibTorchSharp.so", ElfEdit.ReadSoname(original));

        var copy = original.ToArray();
        Assert.Equal(1, ElfEdit.MarkVersionNeedWeak(copy, "GLIBCXX_3.4.32"));

        var before = ElfEdit.ReadVersionNeeds(original);
        var after = ElfEdit.ReadVersionNeeds(copy);
        Assert.Equal(before.Select(n => (n.File, n.Version)), after.Select(n => (n.File, n.Version)));
        Assert.Equal(before.Where(n => n.Version != "GLIBCXX_3.4.32"), after.Where(n => n.Version != "GLIBCXX_3.4.32"));
        Assert.Contains(after, n => n is ("libstdc++.so.6", "GLIBCXX_3.4.32", true));
        Assert.Equal(1, original.Zip(copy).Count(p => p.First != p.Second));
    }

    [Fact, Trait("Needs", "libtorch")]
    public void TheRepairIsUsedOnlyWhereTheSystemLibraryIsTooOld()
    {
        TorchNative.EnsureLoaded();
        var systemHasVersion = File.ReadAllText("/proc/self/maps").Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault())
            .Where(p => p is not null && p.Contains("libstdc++.so.6")).Distinct()
            .Any(p => File.ReadAllText(p!).Contains("GLIBCXX_3.4.32"));
        Assert.Equal(!systemHasVersion, TorchNative.UsesRepairedBackend);
    }

    [Fact, Trait("Needs", "libtorch"), Trait("Needs", "dotnet-host")]
    public void A_damaged_repaired_copy_is_rewritten_not_trusted()
    {
        TorchNative.EnsureLoaded();
        Assert.SkipUnless(TorchNative.UsesRepairedBackend, "this host's libstdc++ needs no repaired copy");
        using var cache = new TempDirectory();
        var worker = typeof(TorchNativeTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "StoreWorker").Value!;
        Processes.Result SaveOnce()
        {
            var info = Processes.Info("dotnet", [worker, "writer", cache.Combine("books"), "m", "1", "1"]);
            info.Environment["EDGEAI_NATIVE_CACHE"] = cache.Combine("native");
            return Processes.Execute(info, TimeSpan.FromMinutes(2));
        }
        var first = SaveOnce();
        Assert.True(first.ExitCode == 0, first.Output);
        var copy = Assert.Single(Directory.GetFiles(cache.Combine("native"), "libLibTorchSharp.so", SearchOption.AllDirectories));
        var good = File.ReadAllBytes(copy);

        File.WriteAllBytes(copy, good[..(good.Length / 2)]);   // what a full disk or a killed writer could leave
        var second = SaveOnce();
        Assert.True(second.ExitCode == 0, $"a truncated copy broke the next run (exit {second.ExitCode}):\n{second.Output}");
        Assert.Equal(good, File.ReadAllBytes(copy));
    }

    [Fact]
    public void NotAnElfFileIsRefused()
    {
        Assert.Throws<InvalidDataException>(() => ElfEdit.ReadVersionNeeds("#!/bin/sh\necho not elf\n"u8.ToArray().Concat(new byte[64]).ToArray()));
    }
}
