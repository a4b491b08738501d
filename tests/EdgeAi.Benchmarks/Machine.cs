/// <summary>What the benchmarks print about the machine they ran on.</summary>
static class Machine
{
    public static string CpuModel()
    {
        var lines = File.ReadAllLines("/proc/cpuinfo");
        var model = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return model?.Split(':', 2)[1].Trim()
               ?? "CPU part " + (lines.FirstOrDefault(l => l.StartsWith("CPU part", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown");
    }
}
