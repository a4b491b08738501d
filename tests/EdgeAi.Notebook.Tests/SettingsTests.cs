namespace EdgeAi.Notebook.Tests;

/// <summary>Each pinned version is typed in one file, which the host, the image and the tests all read
/// (scripts/versions.sh for shell and Dockerfile); a second copy would drift. The notebooks' `#r` names the
/// release too (SavedNotebookTests checks it against Directory.Build.props).</summary>
public sealed class SettingsTests
{
    [Theory]
    [InlineData("interactive", "dotnet-tools.json")]
    [InlineData("torchsharp", "Directory.Packages.props")]
    // The image tag must be a literal where kustomize, compose, Helm and Dev Containers read it; tests check those agree
    // with Directory.Build.props (JupyterHubValuesTests for the chart's values).
    [InlineData("edgeai", "Directory.Build.props", "docker/compose.yaml", "k8s/components/image/kustomization.yaml",
                "k8s/jupyterhub/values.yaml", ".devcontainer/devcontainer.json")]
    public void A_pinned_version_is_typed_only_in_the_file_that_pins_it(string setting, params string[] homes)
    {
        var version = Processes.Run(Path.Combine(RealData.RepositoryRoot, "scripts", "versions.sh"), setting).Trim();
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        var files = Processes.Run("git", "-C", RealData.RepositoryRoot, "ls-files", "--", ":!*.md", ":!*.patch", ":!*.ipynb", ":!tests/package-lock.json")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The version as a whole, not as a piece of a longer one (x.y.z inside 10.x.y.z does not count).
        var typedIn = files.Where(f => System.Text.RegularExpressions.Regex.IsMatch(
            File.ReadAllText(Path.Combine(RealData.RepositoryRoot, f)), $@"(?<![\d.]){System.Text.RegularExpressions.Regex.Escape(version)}(?![\d.])")).ToList();
        Assert.Equal(homes.Order(), typedIn.Order());
    }

    [Fact]
    public void The_kernelspecs_name_is_typed_only_in_the_script_that_writes_it()
    {
        // ./lab, the image, the hub and the benchmark ask scripts/kernelspec.sh; the notebooks carry it as their metadata.
        Assert.Equal(Kernelspec.Name, Processes.Run(Path.Combine(RealData.RepositoryRoot, "scripts", "kernelspec.sh"), "name").Trim());
        var typedIn = Processes.Run("git", "-C", RealData.RepositoryRoot, "grep", "-l", "-F", Kernelspec.Name, "--", ":!*.md", ":!*.ipynb")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["scripts/kernelspec.sh", "tests/EdgeAi.TestSupport/Kernelspec.cs"], typedIn.Order());
    }

    [Fact]
    public void Compose_runs_the_image_of_this_version()
    {
        var version = Processes.Run(Path.Combine(RealData.RepositoryRoot, "scripts", "versions.sh"), "edgeai").Trim();
        Assert.Contains($"image: edgeai-lab:{version}\n", File.ReadAllText(Path.Combine(RealData.RepositoryRoot, "docker", "compose.yaml")));
    }

    [Fact]
    public void The_dev_container_opens_this_versions_image_as_the_lab_user()
    {
        var version = Processes.Run(Path.Combine(RealData.RepositoryRoot, "scripts", "versions.sh"), "edgeai").Trim();
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(RealData.RepositoryRoot, ".devcontainer", "devcontainer.json")),
            new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = config.RootElement;
        Assert.Equal($"ghcr.io/edgeai-cluster/edgeai-lab:{version}", root.GetProperty("image").GetString());
        Assert.Equal("lab", root.GetProperty("remoteUser").GetString());
        Assert.Contains("target=/books", root.GetProperty("mounts")[0].GetString());
    }
}
