using System.Diagnostics;
using System.Globalization;

namespace EdgeAi.Image.Tests.Support;

/// <summary>
/// The two notebooks executed inside the image as a user's pods would run them, each in a container of its own
/// with no network at all, both mounting one host folder as /books: the training notebook in the first, the
/// prediction notebook in the second (a replica that never trained anything).
/// </summary>
public sealed class OfflineNotebooks : IDisposable
{
    readonly LabImage image;
    readonly TempDirectory temp = new();
    readonly Lazy<ExecutedNotebook> training, prediction;

    public OfflineNotebooks(LabImage image)
    {
        this.image = image;
        Books = Pod.OwnedFolder(temp, "books");
        training = new(() => Execute("mnist_training", "training"));
        prediction = new(() => { _ = training.Value; return Execute("mnist_prediction", "prediction"); });
    }

    public string Books { get; }
    public ExecutedNotebook Training => training.Value;
    public ExecutedNotebook Prediction => prediction.Value;

    /// <summary>Seconds from `podman run` of the prediction container to the end of its first prediction cell.</summary>
    public double ColdStartToPrediction { get; private set; }

    ExecutedNotebook Execute(string notebook, string container)
    {
        var output = Pod.OwnedFolder(temp, $"out-{container}");
        var name = $"edgeai-image-{container}-{Environment.ProcessId}";
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        // nbconvert inside the image with its kernelspec; the entrypoint prepares HOME, then runs the command.
        var result = image.Podman.Run(TimeSpan.FromMinutes(10),
        [
            "run", "--rm", "--name", name, "--network", "none", .. Pod.RunOptions(temp, Books), "-v", $"{output}:/out", "-w", "/tmp",
            image.Image, "python3", "-m", "nbconvert", "--to", "notebook", "--execute", $"/opt/edgeai/notebooks/{notebook}.ipynb",
            "--output-dir", "/out", "--ExecutePreprocessor.timeout=600", "--log-level=ERROR",
        ]);
        Assert.True(result.ExitCode == 0, $"{notebook} failed in the container:\n{result.Output}");
        Report.Line("image", $"{notebook}: {clock.Elapsed.TotalSeconds:F1} s from `podman run` to the executed notebook (no network)");
        var executed = new ExecutedNotebook(Path.Combine(output, $"{notebook}.ipynb"));
        if (notebook == "mnist_prediction")
        {
            var predictCell = executed.CodeCell("#!mnist-predict");
            var replied = DateTimeOffset.Parse((string)predictCell["metadata"]!["execution"]!["shell.execute_reply"]!, CultureInfo.InvariantCulture);
            ColdStartToPrediction = (replied - startedAt).TotalSeconds;
            Report.Line("image", $"cold start: {ColdStartToPrediction:F1} s from `podman run` to the first prediction (kernel start, #r, load, eval, predict)");
        }
        return executed;
    }

    public void Dispose() => temp.Dispose();
}
