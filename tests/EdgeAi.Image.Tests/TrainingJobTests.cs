using System.Diagnostics;
using System.Text.RegularExpressions;

namespace EdgeAi.Image.Tests;

/// <summary>k8s/jobs/training's command in the image, with the Job's limits: the CLI path of the ML core.</summary>
public sealed partial class TrainingJobTests(LabImage image) : IDisposable
{
    readonly TempDirectory temp = new();

    [Fact]
    public void The_training_Job_trains_into_books_offline_within_its_memory_limit()
    {
        var books = Pod.OwnedFolder(temp, "books");
        var job = File.ReadAllText(Path.Combine(RealData.RepositoryRoot, "k8s", "jobs", "training", "job.yaml"));
        var command = Command().Match(job).Groups[1].Value.Split(',').Select(a => a.Trim().Trim('"')).ToArray();
        var memory = MemoryLimit().Match(job).Groups[1].Value;   // "1Gi"
        Assert.Equal("edgeai", command[0]);

        image.EnsureBuilt();   // the figure below is the Job's, not the image build's that the first test waits for
        var clock = Stopwatch.StartNew();
        // A Job's `command` replaces the image's entrypoint, as --entrypoint does here.
        var trained = image.Podman.Run(TimeSpan.FromMinutes(10),
            ["run", "--rm", "--network", "none", .. Pod.RunOptions(temp, books, memory.Replace("Gi", "g")), "--entrypoint", command[0], image.Image, .. command[1..]]);
        Assert.True(trained.ExitCode == 0, trained.Output);
        Report.Line("image", $"training Job command ({string.Join(' ', command)}): {clock.Elapsed.TotalSeconds:F1} s in a {memory} container");

        var listed = image.Podman.Check(["run", "--rm", "--network", "none", .. Pod.RunOptions(temp, books), image.Image, "edgeai", "list"]);
        Assert.Contains("mnist-mlp", listed);
        Assert.True(File.Exists(Path.Combine(books, "models", "mnist-mlp", "v000001", "weights.safetensors")));
    }

    public void Dispose() => temp.Dispose();

    [GeneratedRegex(@"command:\s*\[([^\]]+)\]")]
    private static partial Regex Command();

    [GeneratedRegex(@"limits:\s*\{\s*memory:\s*(\d+Gi)")]
    private static partial Regex MemoryLimit();
}
