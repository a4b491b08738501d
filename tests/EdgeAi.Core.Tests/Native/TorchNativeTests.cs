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

    [Fact, Trait("Needs", "libtorch")]
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

    [Fact]
    public void NotAnElfFileIsRefused()
    {
        Assert.Throws<InvalidDataException>(() => ElfEdit.ReadVersionNeeds("#!/bin/sh\necho not elf\n"u8.ToArray().Concat(new byte[64]).ToArray()));
    }
}
