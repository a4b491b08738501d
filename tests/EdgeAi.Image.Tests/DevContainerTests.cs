using System.Text.Json;

namespace EdgeAi.Image.Tests;

/// <summary>
/// .devcontainer/devcontainer.json: the image started the way Dev Containers starts it (a command of its own instead
/// of the lab, the workspace mounted, the remote user, the /books volume), then its postCreateCommand. Not VS Code
/// itself (none here): what the container gives the editor.
/// </summary>
public sealed class DevContainerTests(LabImage image)
{
    [Fact]
    public void The_dev_container_gives_the_editor_the_lab_user_the_kernel_the_volume_and_nuget_org()
    {
        image.EnsureBuilt();
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(RealData.RepositoryRoot, ".devcontainer", "devcontainer.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var settings = config.RootElement;
        using var temp = new TempDirectory();
        var books = Support.Pod.OwnedFolder(temp, "books");
        var volume = settings.GetProperty("mounts")[0].GetString()!;   // source=NAME,target=/books,type=volume
        var target = volume.Split(',').Single(p => p.StartsWith("target=")).Split('=')[1];

        var script = string.Join(" && ",
            settings.GetProperty("postCreateCommand").GetString(),
            "id -un", "dotnet nuget list source", "jupyter kernelspec list", $"touch {target}/written-by-the-editor", "echo DONE");
        var result = image.Podman.Run(TimeSpan.FromMinutes(3), "run", "--rm", "--user", "1000:1000", "-v", $"{RealData.RepositoryRoot}:/workspaces/EdgeAiCluster:ro",
                                      "-v", $"{books}:{target}", "-w", "/workspaces/EdgeAiCluster", image.Image, "/bin/sh", "-c", script);
        Assert.True(result.ExitCode == 0 && result.Stdout.Contains("DONE"), result.Output);
        Assert.Contains(settings.GetProperty("remoteUser").GetString()!, result.Stdout.Split('\n'));
        Assert.Contains(Kernelspec.Name, result.Stdout);
        Assert.Contains("https://api.nuget.org/v3/index.json", result.Stdout);   // beside the image's own feed
        Assert.Contains("/opt/edgeai/feed", result.Stdout);
        Assert.True(File.Exists(Path.Combine(books, "written-by-the-editor")));
    }
}
