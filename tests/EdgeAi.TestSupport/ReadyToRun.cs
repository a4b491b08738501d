using System.Reflection.PortableExecutable;

namespace EdgeAi.TestSupport;

/// <summary>Whether an assembly carries ReadyToRun code for Linux on a machine (scripts/ready-to-run.sh).</summary>
public static class ReadyToRun
{
    public static Machine Of(string architecture) => architecture switch
    {
        "amd64" or "x64" => Machine.Amd64,
        "arm64" => Machine.Arm64,
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "not amd64 or arm64"),
    };

    /// <summary>crossgen2 marks a Linux image by XOR-ing its machine with 0x7B79; an IL-only assembly has no native header.</summary>
    public static bool IsCompiledFor(string assembly, Machine machine)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        return pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0 && pe.PEHeaders.CoffHeader.Machine == (Machine)((ushort)machine ^ 0x7B79);
    }
}
