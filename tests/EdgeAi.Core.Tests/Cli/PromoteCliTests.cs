using System.Reflection;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;

namespace EdgeAi.Core.Tests.Cli;

/// <summary>`edgeai promote NAME@VERSION`: a rollback from a terminal, one line either way.</summary>
[Trait("Needs", "cli-build")]
[Trait("Needs", "libtorch")]
public sealed class PromoteCliTests : IDisposable
{
    static readonly string Cli = typeof(PromoteCliTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
    readonly TempDirectory temp = new();
    readonly string store;

    public PromoteCliTests()
    {
        store = temp.Combine("books");
        for (var seed = 1; seed <= 2; seed++)
        {
            using var model = new MnistMlp(seed);
            new WeightStore(store).Save("mnist-mlp", model);
        }
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Promote_points_latest_at_the_version_and_says_what_it_was()
    {
        var result = Processes.Execute(Processes.Info("dotnet", [Cli, "promote", "mnist-mlp@v1", "--store", store]), TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("latest of mnist-mlp is now mnist-mlp@v1 (was v2)", result.Output);
        Assert.Single(new WeightStore(store).List(), v => v.IsLatest && v.Manifest.Version == 1);
    }

    [Theory]
    [InlineData("promote mnist-mlp", "Promote needs a version: name one, e.g. mnist-mlp@3")]
    [InlineData("promote mnist-mlp@5", "Model 'mnist-mlp' has no version 5")]
    [InlineData("promote", "Required argument missing for command: 'promote'")]
    public void Bad_input_exits_2_naming_it_and_latest_stays(string arguments, string message)
    {
        var result = Processes.Execute(Processes.Info("dotnet", [Cli, .. arguments.Split(' '), "--store", store]), TimeSpan.FromMinutes(2));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"error: {message}", result.Output);
        Assert.DoesNotContain("   at ", result.Output);
        Assert.Single(new WeightStore(store).List(), v => v.IsLatest && v.Manifest.Version == 2);
    }
}
