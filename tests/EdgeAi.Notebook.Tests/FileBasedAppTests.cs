using System.Diagnostics;

namespace EdgeAi.Notebook.Tests;

/// <summary>notebooks/*.cs: the same steps as .NET 10 file-based apps (`dotnet run FILE`).</summary>
public sealed class FileBasedAppTests : IDisposable
{
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    string Run(string file, params string[] arguments)
    {
        var info = Processes.Info("dotnet", ["run", "-c", "Release", $"notebooks/{file}", "--", .. arguments]);
        info.WorkingDirectory = RealData.RepositoryRoot;
        info.Environment["EDGEAI_WEIGHTS_DIR"] = temp.Combine("books");
        info.Environment["EDGEAI_DATA_DIR"] = RealData.RequireFashionMnist();
        var result = Processes.Execute(info, TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, $"{file} exited {result.ExitCode}: {result.Output}");
        return result.Stdout;
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

    [Fact]
    public void FederatedScriptRunsThreeFederationsThroughTheStore()
    {
        var output = Run("federated.cs", "2");
        foreach (var name in new[] { "fed-iid", "fed-dirichlet", "fed-prox" })
        {
            Assert.Contains($"{name} round 2/2: test accuracy", output);
            Assert.Contains($"saved {name}@v3", output);
        }
        Assert.True(Directory.Exists(temp.Combine("books", "fed-iid", "federation")));
    }
}
