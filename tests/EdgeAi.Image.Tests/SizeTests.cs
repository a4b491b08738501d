namespace EdgeAi.Image.Tests;

/// <summary>
/// docs/performance.md: the image a Raspberry Pi keeps on its SD card and pulls over Wi-Fi. Built here on stand-ins for its base
/// images (debootstrap's trixie made like Docker Hub's debian:13-slim, this machine's .NET for Microsoft's images;
/// build-image.sh), so the figure is this build's, not a registry's.
/// </summary>
public sealed class SizeTests(LabImage image)
{
    const long Budget = 1_500_000_000;   // 1.5 GB as podman and docker print sizes (powers of ten)

    [Fact]
    public void The_amd64_image_is_at_most_1_5_GB_with_the_SDK_in_it()
    {
        Assert.Equal("10.0", image.Podman.Check("run", "--rm", "--entrypoint", "dotnet", image.Image, "--version").Trim()[..4]);
        var layers = image.Podman.Check("history", image.Image, "--format", "{{.Size}}\t{{.CreatedBy}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(" MB\t") || l.Contains(" GB\t"));
        Assert.True(image.SizeBytes <= Budget,
            $"{image.SizeBytes / 1e9:F3} GB, over {Budget / 1e9:F1} GB; its layers:\n{string.Join('\n', layers.Select(l => l[..Math.Min(l.Length, 120)]))}");
    }

    [Fact]
    public void No_installer_leaves_its_downloads_caches_translations_or_documentation_behind()
    {
        // What apt, NuGet and the SDK's archive bring and nothing in the image reads: each once cost tens of MB.
        var leftovers = image.Podman.Check("run", "--rm", "--user", "0", "--entrypoint", "sh", image.Image, "-c", """
            find /var/cache/apt /var/lib/apt/lists -type f ! -name lock ! -path '*/partial/*'
            find /opt/edgeai/nuget \( -name '*.nupkg' -o -name '*.xml' -path '*/lib/*' -o -name libtorch_python.so \)
            find /usr/share/dotnet /opt/edgeai/interactive -name '*.resources.dll'
            find /usr/share/doc -type f ! -name copyright
            """);
        Assert.Equal("", leftovers.Trim());
    }
}
