namespace EdgeAi.Image.Tests;

/// <summary>
/// The arm64 group runs every arm64 process as a Raspberry Pi 4B's CPU (qemu's cortex-a72, ARMv8.0-A) with the SIGILL
/// reporter preloaded (sigill/), so a dependency built for a newer CPU fails there, named, instead of passing under
/// qemu's default "max" model and dying on a Pi. sigill/test.sh shows it on a library built for ARMv8.1-A, straight
/// under qemu-aarch64-static: no image, no root, a second or two, so it runs wherever the cross tools are
/// (./lab test installs them).
/// </summary>
public sealed class SigillReporterTests
{
    static readonly string Script = Path.Combine(RealData.RepositoryRoot, "tests", "EdgeAi.Image.Tests", "sigill", "test.sh");
    static readonly string[] Tools = ["qemu-aarch64-static", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-objdump"];

    [Fact]
    public void An_ARMv8_1_library_runs_under_max_and_on_a_Pi_4Bs_CPU_dies_of_SIGILL_named_with_binary_and_instruction()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':');
        var missing = Tools.Where(t => !path.Any(d => File.Exists(Path.Combine(d, t)))).ToList();
        Assert.SkipWhen(missing.Count > 0, $"not installed: {string.Join(", ", missing)} (qemu-user-static, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross; ./lab test installs them)");
        var result = Processes.Execute(Processes.Info(Script, []), TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("ok: C program, LSE library under QEMU_CPU=max: exit 0, add: 1 -> 3", result.Stderr);
        Assert.Contains("ok: C program, LSE library under QEMU_CPU=cortex-a72: exit 132", result.Stderr);
        Assert.Matches(@"reporter: edgeai-sigill: pid \d+ pc 0x[0-9a-f]+ in WORK/liblse\.so\+0x[0-9a-f]+ \(add\+0x[0-9a-f]+\) word 0x[0-9a-f]{8} cpu cortex-a72", result.Stderr);
        Assert.Matches(@"SIGILL in liblse\.so\+0x[0-9a-f]+ \(add\+0x[0-9a-f]+\): ldadd w\d+, w\d+, \[x\d+\] \(LSE atomics, ARMv8\.1-A\) - not available on cortex-a72", result.Stderr);
    }
}
