namespace EdgeAi.Core.Training;

/// <summary>
/// The CPU limit of this process's cgroup (a pod's <c>limits.cpu</c>, a systemd unit's CPUQuota), in whole cores
/// rounded up, or null where none is set. Read from cgroup v2's <c>cpu.max</c> or v1's <c>cpu.cfs_quota_us</c> and
/// <c>cpu.cfs_period_us</c>, on the process's own cgroup and each one above it (the tightest wins). .NET applies the
/// limit to <see cref="Environment.ProcessorCount"/> but does not say whether there is one, which the default number
/// of training threads depends on.
/// </summary>
public static class CpuLimit
{
    public static int? Cores(string procCgroup = "/proc/self/cgroup", string mountRoot = "/sys/fs/cgroup")
    {
        double? tightest = null;
        string[] lines;
        try
        { lines = File.ReadAllLines(procCgroup); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        foreach (var line in lines)
        {
            // "0::/path" (v2) or "N:cpu,cpuacct:/path" (v1)
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
                continue;
            var v2 = parts[0] == "0" && parts[1] == "";
            if (!v2 && !parts[1].Split(',').Contains("cpu"))
                continue;
            var controller = v2 ? mountRoot : Path.Combine(mountRoot, parts[1]);
            if (!v2 && !Directory.Exists(controller))
                controller = Path.Combine(mountRoot, "cpu");
            for (var path = parts[2]; ; path = Path.GetDirectoryName(path) ?? "/")
            {
                var folder = Path.Combine(controller, path.TrimStart('/'));
                if ((v2 ? ReadV2(folder) : ReadV1(folder)) is { } cores)
                    tightest = Math.Min(tightest ?? cores, cores);
                if (path is "/" or "")
                    break;
            }
        }
        return tightest is { } t ? Math.Max(1, (int)Math.Ceiling(t - 1e-9)) : null;
    }

    static double? ReadV2(string folder)
    {
        var fields = Read(Path.Combine(folder, "cpu.max"))?.Split(' ');
        return fields is [var quota, var period] && quota != "max" && double.TryParse(quota, out var q) && double.TryParse(period, out var p) && p > 0
            ? q / p : null;
    }

    static double? ReadV1(string folder) =>
        double.TryParse(Read(Path.Combine(folder, "cpu.cfs_quota_us")), out var q) && q > 0
        && double.TryParse(Read(Path.Combine(folder, "cpu.cfs_period_us")), out var p) && p > 0 ? q / p : null;

    static string? Read(string file)
    {
        try
        { return File.Exists(file) ? File.ReadAllText(file).Trim() : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
