using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using EdgeAi.Core.Files;
using TorchSharp;

namespace EdgeAi.Core.Native;

/// <summary>
/// Loads TorchSharp's native backend once, with a clear message when it cannot.
///
/// TorchSharp 0.107's libLibTorchSharp.so requires version GLIBCXX_3.4.32 (GCC 13) of libstdc++ for one
/// symbol, <c>std::ios_base_library_init()</c>, which GCC 13's &lt;iostream&gt; only references (a bare
/// <c>.globl</c> that pins the newer library); no code calls it. Debian 12 has GCC 12's libstdc++ (up to
/// GLIBCXX_3.4.30), and Debian 13's libstdc++ cannot be dropped in: it needs glibc 2.38.
///
/// On such hosts we write a copy of the backend into a per-user cache with that one requirement marked
/// weak, load libtorch and then the copy; TorchSharp's own loader, asking for the library by name, then
/// gets the copy, which the dynamic loader matches by its SONAME. The NuGet cache, the build output and system libraries stay untouched; hosts with a
/// newer libstdc++ (Debian 13, the container image) load TorchSharp's own file and never take this path.
/// </summary>
public static class TorchNative
{
    const string BackendFile = "libLibTorchSharp.so";
    const string MissingVersion = "GLIBCXX_3.4.32";
    static readonly Lock Gate = new();
    static bool loaded;

    /// <summary>Where patched native copies go: <c>EDGEAI_NATIVE_CACHE</c>, else <c>$XDG_CACHE_HOME/edgeai/native</c>
    /// (~/.cache/edgeai/native), which must be this user's alone: a library there is loaded into the process.</summary>
    public static string CacheDirectory =>
        Environment.GetEnvironmentVariable("EDGEAI_NATIVE_CACHE") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : UserFolders.RequireOwn(Path.Combine(UserFolders.CacheHome, "edgeai", "native"), "The native library cache",
                                     "set EDGEAI_NATIVE_CACHE or XDG_CACHE_HOME to a folder of your own");

    /// <summary>True once the repaired copy is in use (for diagnostics and tests).</summary>
    public static bool UsesRepairedBackend { get; private set; }

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (loaded)
                return;
            try
            {
                if (OperatingSystem.IsLinux())
                    PreloadBackend(typeof(torch).Assembly);
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is not EdgeAiException)
            {
                var need = RuntimeInformation.ProcessArchitecture == Architecture.Arm64
                    ? "TorchSharp ships no backend for Linux arm64: it needs libLibTorchSharp.so and libtorch built for arm64 " +
                      "on LD_LIBRARY_PATH, as the lab image's arm64 variant has in /opt/edgeai/native (see docker/README.md, 'arm64')."
                    : $"It needs the libtorch-cpu package for {RuntimeInformation.RuntimeIdentifier} and a C++ runtime with " +
                      "GLIBCXX_3.4.30 or newer.";
                throw new EdgeAiException($"TorchSharp's native library could not be loaded ({FirstLine(e)}). {need}", e);
            }
            loaded = true;
        }
    }

    static void PreloadBackend(Assembly torchSharp)
    {
        var directories = NativeDirectories(torchSharp).Where(Directory.Exists).ToList();
        var backend = directories.Select(d => Path.Combine(d, BackendFile)).FirstOrDefault(File.Exists);
        var libtorch = directories.FirstOrDefault(d => File.Exists(Path.Combine(d, "libtorch.so")));
        if (backend is null || libtorch is null)
            return;   // TorchSharp's own loader will explain

        // Loaded by full path, libtorch is then matched by SONAME when the backend (or a copy) needs it.
        foreach (var lib in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
            NativeLibrary.Load(Path.Combine(libtorch, lib));

        try
        {
            NativeLibrary.Load(backend);
        }
        catch (DllNotFoundException e) when (e.Message.Contains(MissingVersion))
        {
            NativeLibrary.Load(WriteRepairedCopy(backend));
            UsesRepairedBackend = true;
        }
    }

    static string WriteRepairedCopy(string original)
    {
        var bytes = File.ReadAllBytes(original);
        var key = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var target = Path.Combine(CacheDirectory, key, BackendFile);
        if (ElfEdit.MarkVersionNeedWeak(bytes, MissingVersion) == 0)
            throw new EdgeAiException($"{original} failed to load for want of {MissingVersion} but does not list it; cannot repair it.");
        // A copy is used only when it is byte for byte what the repair makes now: a truncated or altered one (a
        // full disk, another program) would crash every later run with SIGBUS instead of being rewritten.
        if (File.Exists(target) && new FileInfo(target).Length == bytes.Length && File.ReadAllBytes(target).AsSpan().SequenceEqual(bytes))
            return target;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = $"{target}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, target, overwrite: true);
        return target;
    }

    /// <summary>Where native assets are: the app's probing paths and its own folder (bin layout), else the
    /// NuGet package layout that notebook kernels load packages from.</summary>
    static IEnumerable<string> NativeDirectories(Assembly torchSharp)
    {
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string probing)
            foreach (var dir in probing.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                yield return dir;

        var assemblyDir = Path.GetDirectoryName(torchSharp.Location);
        if (string.IsNullOrEmpty(assemblyDir))
            yield break;
        yield return assemblyDir;

        var rid = RuntimeInformation.RuntimeIdentifier;
        var packageDir = Path.GetFullPath(Path.Combine(assemblyDir, "..", ".."));   // torchsharp/<version>
        yield return Path.Combine(packageDir, "runtimes", rid, "native");
        var packagesRoot = Path.GetDirectoryName(Path.GetDirectoryName(packageDir));
        var libtorch = packagesRoot is null ? null : Path.Combine(packagesRoot, $"libtorch-cpu-{rid}");
        if (libtorch is not null && Directory.Exists(libtorch))
            foreach (var version in Directory.GetDirectories(libtorch).OrderDescending())
                yield return Path.Combine(version, "runtimes", rid, "native");

        // A LibTorchSharp built for this machine, as the image's arm64 variant has in /opt/edgeai/native.
        foreach (var dir in (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            yield return dir;
    }

    static string FirstLine(Exception e)
    {
        while (e.InnerException is not null && e is TypeInitializationException)
            e = e.InnerException;
        return e.Message.Split('\n')[0].Trim();
    }
}
