using System.Runtime.InteropServices;

/// <summary>
/// Puts the peer at its best on the machine at hand. OpenBLAS picks its kernels from the CPU it detects, unless
/// OPENBLAS_CORETYPE forces a family; a machine's environment may force a slow one, and an OpenBLAS older than
/// the CPU may detect nothing and fall back to generic SSE kernels (0.3.21 on a Sapphire Rapids core picks
/// "Prescott", 5x slower than its AVX-512 kernels). So each family this CPU can run is probed on the training's
/// largest product, with every OpenBLAS variable of the environment removed, and the fastest one is kept.
/// OpenBLAS runs one thread in the probes and, unless a configuration says otherwise, in the training: Debian's
/// pthread OpenBLAS otherwise starts a thread per core beside PyTorch's own (3x slower at one thread here).
/// </summary>
static class PeerBlas
{
    public sealed record Probe(string Forced, string Core, double Gflops, string Torch);

    /// <summary>Each family the CPU runs, probed in PEER; ERROR says why the detected one failed when none ran.</summary>
    public static IReadOnlyList<Probe> ProbeAll(Peer peer, int threads, out string error)
    {
        var probes = new List<Probe>();
        error = "";
        foreach (var forced in Candidates())
        {
            var result = peer.TryRun(["--probe", threads.ToString()], Environment(forced, 1, threads), out var failure);
            if (result is null)
            {
                if (forced == "")
                    error = failure;
                continue;   // a family this CPU cannot run (SIGILL)
            }
            probes.Add(new Probe(forced, result.Value.GetProperty("core").GetString()!, result.Value.GetProperty("gflops").GetDouble(),
                                 result.Value.GetProperty("torch").GetString()!));
        }
        return probes;
    }

    /// <summary>The peer's environment: this process's, without any OpenBLAS variable, plus the chosen family and
    /// OpenBLAS's own thread count (PyTorch's is torch.set_num_threads, pytorch_train.py's THREADS).</summary>
    public static Dictionary<string, string?> Environment(string forced, int blasThreads, int threads)
    {
        var environment = new Dictionary<string, string?>();
        foreach (var name in System.Environment.GetEnvironmentVariables().Keys.Cast<string>())
            if (name.StartsWith("OPENBLAS_", StringComparison.Ordinal) || name.StartsWith("GOTO_", StringComparison.Ordinal))
                environment[name] = null;
        if (forced != "")
            environment["OPENBLAS_CORETYPE"] = forced;
        environment["OPENBLAS_NUM_THREADS"] = blasThreads.ToString();
        environment["OMP_NUM_THREADS"] = threads.ToString();
        return environment;
    }

    /// <summary>"" (OpenBLAS detects) and the families whose instructions /proc/cpuinfo lists.</summary>
    static IEnumerable<string> Candidates()
    {
        yield return "";
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags") || l.StartsWith("Features"))?
            .Split(':')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet() ?? [];
        if (RuntimeInformation.ProcessArchitecture == Architecture.Arm64)
        {
            foreach (var core in new[] { "NeoverseN1", "CortexA72", "CortexA57", "ARMV8" })
                yield return core;
            yield break;
        }
        if (flags.Contains("avx2") && flags.Contains("fma"))
        { yield return "Haswell"; yield return "Zen"; }
        if (new[] { "avx512f", "avx512bw", "avx512dq", "avx512vl" }.All(flags.Contains))
            yield return "SkylakeX";
        if (flags.Contains("avx512_bf16"))
            yield return "Cooperlake";
        if (flags.Contains("amx_bf16"))
            yield return "SapphireRapids";   // known to OpenBLAS 0.3.22 and later
    }
}
