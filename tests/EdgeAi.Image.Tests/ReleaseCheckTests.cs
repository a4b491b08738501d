namespace EdgeAi.Image.Tests;

/// <summary>
/// docker/check-image.sh, which the release workflow runs on each platform's own runner before it pushes the image
/// (on arm64 the first run of the image's .NET on arm64 hardware): here with podman on the amd64 image, so the
/// workflow calls a script that has run, and on an image that cannot work, so the script is seen to fail.
/// </summary>
public sealed class ReleaseCheckTests(LabImage image)
{
    static readonly string Script = Path.Combine(RealData.RepositoryRoot, "docker", "check-image.sh");

    [Fact]
    public void The_check_trains_in_one_container_and_predicts_in_another()
    {
        using var output = new TempDirectory();
        var result = Check(image.Image, output.Path);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("user 1000, .NET 10.0", result.Stdout);
        Assert.Matches(@"mnist-mlp@v2 \(latest\)\s+accuracy 8\d\.\d\d %", result.Stdout);
        Assert.Contains("check-image: passed (mnist-mlp@v2 trained in one container, loaded in another", result.Stdout);
        foreach (var notebook in new[] { "mnist_training", "mnist_prediction" })
        {
            var executed = new ExecutedNotebook(Path.Combine(output.Path, $"{notebook}.ipynb"));
            Assert.All(executed.Cells.Where(c => (string?)c["cell_type"] == "code"), c => Assert.Empty(ExecutedNotebook.Errors(c)));
        }
    }

    [Fact]
    public void The_check_fails_naming_the_notebook_when_the_image_lacks_the_extensions_package()
    {
        // The mistake the check exists for: an image whose pods, having no internet, cannot restore `#r`.
        var broken = $"localhost/edgeai-lab:check-broken-{Environment.ProcessId}";
        var container = $"edgeai-check-broken-{Environment.ProcessId}";
        image.Podman.Check("run", "--name", container, "--user", "0", "--entrypoint", "sh", image.Image, "-c",
            "rm -rf /opt/edgeai/feed/* /opt/edgeai/restore-cache /opt/edgeai/nuget/edgeai.interactive");
        try
        {
            var entrypoint = image.Podman.Check("image", "inspect", "--format", "{{json .Config.Entrypoint}}", image.Image).Trim();
            image.Podman.Check("commit", "--quiet", "--change", $"ENTRYPOINT {entrypoint}", "--change", "CMD []", container, broken);
            using var output = new TempDirectory();
            var result = Check(broken, output.Path);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("check-image: mnist_training.ipynb failed in the container", result.Stderr);
            // The first failing cell and NuGet's own words, not only a traceback of nbconvert's.
            Assert.Matches(@"cell \d+, #r ""nuget: EdgeAi.Interactive, [\d.]+"": .*NU1101: Unable to find package EdgeAi.Interactive", result.Stderr);
            Assert.DoesNotContain("check-image: passed", result.Stdout);
        }
        finally
        {
            image.Podman.Run("rm", "-f", container);
            image.Podman.Run("rmi", "-f", broken);
        }
    }

    Processes.Result Check(string tag, string output)
    {
        var info = Processes.Info(Script, [tag, output]);
        foreach (var (key, value) in image.Podman.Environment)
            info.Environment[key] = value;
        info.Environment["CONTAINER_ENGINE"] = "podman";
        return Processes.Execute(info, TimeSpan.FromMinutes(15));
    }
}
