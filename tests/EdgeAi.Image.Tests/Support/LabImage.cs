using System.Diagnostics;

[assembly: AssemblyFixture(typeof(EdgeAi.Image.Tests.Support.LabImage))]

namespace EdgeAi.Image.Tests.Support;

/// <summary>
/// docker/Dockerfile built once for amd64 by build-image.sh (buildah, a debootstrapped trixie base with this
/// machine's .NET SDK), shared by every test. Without root, buildah or podman the tests are skipped with the
/// reason; a failed build fails them with the build's output.
/// </summary>
public sealed class LabImage
{
    readonly Lazy<Built> built = new(Build);

    sealed record Built(string Image, int BuildSeconds, long SizeBytes, Podman Podman);

    public static string? Unavailable { get; } = FindWhyUnavailable();

    public string Image => Require().Image;
    public Podman Podman => Require().Podman;
    public long SizeBytes => Require().SizeBytes;

    /// <summary>Skips the calling test where the image cannot be built here; builds it once otherwise.</summary>
    public void EnsureBuilt() => Require();

    Built Require()
    {
        if (Unavailable is not null)
            Assert.Skip(Unavailable);
        return built.Value;
    }

    static string? FindWhyUnavailable()
    {
        if (!Environment.IsPrivilegedProcess)
            return "the image tests need root (rootful buildah and podman); CI runs them";
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':');
        var missing = new[] { "buildah", "podman", "podman-compose", "debootstrap", "runc" }.Where(t => !path.Any(d => File.Exists(Path.Combine(d, t)))).ToList();
        return missing.Count == 0 ? null : $"not installed: {string.Join(", ", missing)} (./lab test --image installs them; .ci/run does)";
    }

    static Built Build()
    {
        var script = Path.Combine(RealData.RepositoryRoot, "tests", "EdgeAi.Image.Tests", "build-image.sh");
        var result = Processes.Execute(new ProcessStartInfo(script), TimeSpan.FromMinutes(40));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"build-image.sh exited {result.ExitCode}:\n{result.Stderr}");

        var values = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        var environment = values.Where(v => v.Key.StartsWith("CONTAINERS_") || v.Key == "TMPDIR").ToDictionary();
        var image = new Built(values["IMAGE"], int.Parse(values["BUILD_SECONDS"]), long.Parse(values["SIZE_BYTES"]), new Podman(environment));
        Report.Line("image", $"image {image.Image}: built in {image.BuildSeconds} s, {image.SizeBytes / 1e9:F2} GB");
        // Where the size is (docs/performance.md): every layer over 10 MB, and the largest folders of /opt/edgeai.
        foreach (var layer in image.Podman.Check("history", "--no-trunc", image.Image, "--format", "{{.Size}}\t{{.CreatedBy}}").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                     .Select(l => l.Split('\t', 2)).Where(l => l.Length == 2 && (l[0].EndsWith(" GB") || l[0].EndsWith(" MB") && double.Parse(l[0][..^3], System.Globalization.CultureInfo.InvariantCulture) >= 10)))
            Report.Line("image", $"  layer {layer[0],8}: {layer[1].Replace("/bin/sh -c ", "")[..Math.Min(90, layer[1].Replace("/bin/sh -c ", "").Length)]}");
        var folders = image.Podman.Check("run", "--rm", "--entrypoint", "sh", image.Image, "-c", "du -sm /opt/edgeai/interactive /opt/edgeai/nuget/* | sort -rn | head -8");
        Report.Line("image", "  largest folders (MB): " + string.Join(", ", folders.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split('\t').Reverse()))));
        return image;
    }
}
