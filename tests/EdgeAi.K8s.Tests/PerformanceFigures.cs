using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;

namespace EdgeAi.K8s.Tests;

/// <summary>
/// The memory figures of docs/performance.md, the one place they are written: its table rows "| `name` | number |".
/// The manifests are sized from them; a test reads them here rather than keeping copies of its own.
/// </summary>
public static partial class PerformanceFigures
{
    public static readonly string File = Path.Combine(RealData.RepositoryRoot, "docs", "performance.md");

    public static readonly IReadOnlyDictionary<string, double> Measured = Read(System.IO.File.ReadAllText(File));

    public static Dictionary<string, double> Read(string markdown) =>
        Row().Matches(markdown).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    /// <summary>A figure in MiB (or, for "headroom", in percent); fails naming the file when it is not there.</summary>
    public static double Get(this IReadOnlyDictionary<string, double> figures, string name) =>
        figures.TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"no row `{name}` in {File}");

    /// <summary>What a pod needs for what it holds: the sum plus the stated headroom.</summary>
    public static double WithHeadroom(this IReadOnlyDictionary<string, double> figures, double mib) => mib * (1 + figures.Get("headroom") / 100);

    /// <summary>A Kubernetes quantity ("1Gi", "1536Mi", "1.2G") in MiB.</summary>
    public static double MiB(string quantity) => (double)new ResourceQuantity(quantity).ToDecimal() / (1024 * 1024);

    [GeneratedRegex(@"^\| `([a-z-]+)` \| ([0-9]+(?:\.[0-9]+)?)(?: %)? \|", RegexOptions.Multiline)]
    private static partial Regex Row();
}
