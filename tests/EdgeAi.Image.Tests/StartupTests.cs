using System.Text.Json.Nodes;

namespace EdgeAi.Image.Tests;

/// <summary>The entrypoint refuses to serve notebooks without authentication.</summary>
public sealed class StartupTests(LabImage image)
{
    [Fact]
    public void An_empty_token_is_refused_with_a_message()
    {
        var result = image.Podman.Run("run", "--rm", "-e", "JUPYTER_TOKEN=", image.Image);
        Assert.Equal(64, result.ExitCode);
        Assert.Contains("JUPYTER_TOKEN is empty", result.Stderr);
        Assert.Contains("openssl rand", result.Stderr);   // and says how to make one
    }

    [Fact]
    public void A_missing_token_is_refused_too()
    {
        var result = image.Podman.Run("run", "--rm", image.Image);
        Assert.Equal(64, result.ExitCode);
        Assert.Contains("JUPYTER_TOKEN is empty", result.Stderr);
    }

    [Fact]
    public void A_new_home_gets_the_restore_cache_of_the_releases_r_and_every_file_it_names_is_in_the_image()
    {
        // As a new pod starts: an empty $HOME. The entrypoint copies the cache made at build (docker/warm-restore-cache.py).
        using var temp = new TempDirectory();
        var version = Processes.Run(Path.Combine(RealData.RepositoryRoot, "scripts", "versions.sh"), "edgeai").Trim();
        var listed = image.Podman.Check(["run", "--rm", .. Support.Pod.RunOptions(temp, Support.Pod.OwnedFolder(temp, "books")), image.Image, "sh", "-c",
            "cat \"$HOME\"/.packagemanagement/nuget/Cache/*.paths | tr ',' '\\n' | grep '^/' | sort -u | while read -r p; do [ -e \"$p\" ] && echo \"present $p\" || echo \"MISSING $p\"; done"]);
        Assert.Contains($"present /opt/edgeai/nuget/edgeai.interactive/{version}/lib/net10.0/EdgeAi.Interactive.dll", listed);
        Assert.Contains("present /opt/edgeai/nuget/libtorch-cpu-linux-x64/", listed);   // the natives of this platform
        Assert.DoesNotContain("MISSING", listed);
    }

    [Fact]
    public void The_kernel_runs_through_dotnet_with_dotnet_interactive_compiled_ahead_for_the_images_architecture()
    {
        // Not the tool's own launcher: that is a native program of the build machine, which an arm64 pod cannot run.
        using var temp = new TempDirectory();
        var copy = Support.Pod.OwnedFolder(temp, "interactive");
        image.Podman.Check("run", "--rm", "--entrypoint", "sh", "-v", $"{copy}:/out", image.Image, "-c",
            $"cp /opt/edgeai/interactive/*.dll /out/ && cat /opt/edgeai/jupyter/kernels/{Kernelspec.Name}/kernel.json > /out/kernel.json");
        var argv = JsonNode.Parse(File.ReadAllText(Path.Combine(copy, "kernel.json")))!["argv"]!.AsArray().Select(a => (string)a!);
        Assert.Equal(["/opt/edgeai/bin/edgeai-kernel", "{connection_file}", "dotnet", "/opt/edgeai/interactive/Microsoft.DotNet.Interactive.App.dll"], argv);

        // ReadyToRun code for this image's architecture.
        var machine = ReadyToRun.Of(image.Podman.Check("image", "inspect", image.Image, "--format", "{{.Architecture}}").Trim());
        var assemblies = Directory.GetFiles(copy, "*.dll");
        Assert.True(assemblies.Length > 50, $"{assemblies.Length} assemblies");
        Assert.All(assemblies, path => Assert.True(ReadyToRun.IsCompiledFor(path, machine), $"{Path.GetFileName(path)} is not compiled for {machine}"));
    }

    [Fact]
    public void The_image_runs_as_uid_1000_by_default()
    {
        Assert.Equal("1000:1000", image.Podman.Check("image", "inspect", image.Image, "--format", "{{.Config.User}}").Trim());
        Assert.Equal("1000", image.Podman.Check("run", "--rm", "--entrypoint", "id", image.Image, "-u").Trim());
    }
}
