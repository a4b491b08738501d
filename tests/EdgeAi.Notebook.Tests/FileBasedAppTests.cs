using System.Diagnostics;
using EdgeAi.Core.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>notebooks/*.cs: the same steps as .NET 10 file-based apps (`dotnet run FILE`).</summary>
public sealed class FileBasedAppTests : IDisposable
{
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    string Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RealData.RepositoryRoot };
        foreach (var a in new[] { "run", "-c", "Release", $"notebooks/{file}", "--" }.Concat(arguments)) info.ArgumentList.Add(a);
        info.Environment["EDGEAI_WEIGHTS_DIR"] = temp.Combine("books");
        info.Environment["EDGEAI_DATA_DIR"] = RealData.RequireFashionMnist();
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), $"{file} timed out");
        Assert.True(process.ExitCode == 0, $"{file} exited {process.ExitCode}: {output.Result}{errors.Result}");
        return output.Result;
    }

    [Fact]
    public void TrainingScriptSavesAndPredictionScriptLoadsAndPredicts()
    {
        var trained = Run("mnist_training.cs", "1");
        Assert.Contains("epoch 1/1", trained);
        Assert.Contains("saved mnist-mlp@v1", trained);

        var predicted = Run("mnist_prediction.cs");
        Assert.Contains("loaded mnist-mlp@v1", predicted);
        Assert.Equal(8, predicted.Split('\n').Count(l => l.StartsWith("x_test[")));
    }
}
