using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using EdgeAi.Core.Tests.Support;
using TorchSharp;

namespace EdgeAi.Core.Tests.Native;

/// <summary>
/// A LibTorchSharp built by docker/libtorchsharp/build.sh (for linux-arm64, against Debian's libtorch) exports every
/// function the managed TorchSharp calls, like the linux-x64 library of TorchSharp's NuGet package does.
/// Opt-in: EDGEAI_BUILT_BACKEND names the built libLibTorchSharp.so (./lab test --arm64 sets it).
/// </summary>
public sealed class BackendAbiTests
{
    const string Variable = "EDGEAI_BUILT_BACKEND";

    [Fact]
    public void The_built_backend_exports_every_function_TorchSharp_imports()
    {
        var built = Environment.GetEnvironmentVariable(Variable);
        Assert.SkipWhen(string.IsNullOrEmpty(built), $"{Variable} is not set (./lab test --arm64 sets it to the library it built)");
        var imports = ManagedImports();
        var reference = Exports(PackagedX64Backend());
        var ours = Exports(built!);

        // What TorchSharp can call in practice: its imports that the packaged library defines (the packaged library
        // is the yardstick; an import it lacks fails on x64 too).
        var callable = imports.Intersect(reference).ToHashSet();
        var missing = callable.Except(ours).Order().ToList();
        Report.Line("abi", $"TorchSharp {typeof(torch).Assembly.GetName().Version} imports {imports.Count} functions from LibTorchSharp, " +
                         $"{callable.Count} of them defined by the packaged linux-x64 library ({imports.Count - callable.Count} by neither); " +
                         $"THS* exports: packaged {reference.Count(s => s.StartsWith("THS"))}, built {ours.Count(s => s.StartsWith("THS"))}; " +
                         $"missing from the built library: {missing.Count}");
        Assert.True(imports.Count > 1000, $"only {imports.Count} imports were read from TorchSharp.dll: the reader is wrong");
        Assert.True(callable.Count > 1000, $"only {callable.Count} of them are in the packaged library: the ELF reader is wrong");
        Assert.True(missing.Count == 0, $"{built} lacks {missing.Count} functions TorchSharp calls: {string.Join(", ", missing.Take(40))}");
    }

    /// <summary>Entry points of TorchSharp's [DllImport("LibTorchSharp")] methods, read from its metadata.</summary>
    static HashSet<string> ManagedImports()
    {
        using var pe = new PEReader(File.OpenRead(typeof(torch).Assembly.Location));
        var metadata = pe.GetMetadataReader();
        var result = new HashSet<string>();
        foreach (var handle in metadata.MethodDefinitions)
        {
            var import = metadata.GetMethodDefinition(handle).GetImport();
            if (import.Module.IsNil)
                continue;
            if (metadata.GetString(metadata.GetModuleReference(import.Module).Name) == "LibTorchSharp")
                result.Add(metadata.GetString(import.Name));
        }
        return result;
    }

    /// <summary>Defined dynamic function symbols (readelf reads an ELF file of any architecture).</summary>
    static HashSet<string> Exports(string library) =>
        Processes.Run("readelf", "--dyn-syms", "--wide", library).Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 8 && f[3] == "FUNC" && f[4] == "GLOBAL" && f[6] != "UND")
            .Select(f => f[7].Split('@')[0]).ToHashSet();

    static string PackagedX64Backend()
    {
        var package = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(torch).Assembly.Location)!, "..", ".."));
        var inPackage = Path.Combine(package, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (File.Exists(inPackage))
            return inPackage;
        // A self-contained or RID-specific build copies TorchSharp.dll out of the package: look in the NuGet folder.
        var nuget = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var version = typeof(torch).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion.Split('+')[0];
        var fromCache = Path.Combine(nuget, "torchsharp", version, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(fromCache), $"TorchSharp's linux-x64 backend is neither next to TorchSharp.dll nor at {fromCache}");
        return fromCache;
    }
}
