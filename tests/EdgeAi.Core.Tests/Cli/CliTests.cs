using System.Diagnostics;
using System.Reflection;
using EdgeAi.Core.Tests.Support;

namespace EdgeAi.Core.Tests.Cli;

/// <summary>`edgeai`, as a terminal user or the training Job runs it: named errors, exit codes, no stack traces.</summary>
[Trait("Needs", "cli-build")]   // runs the x64 build of the CLI with the host's dotnet (not in the arm64 group)
public sealed class CliTests(TrainedFashionModel fashion) : IDisposable
{
    static readonly string Cli = typeof(CliTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("eval", "No model named 'mnist-mlp'")]
    [InlineData("eval mnist-mlp@x", "Version 'x'")]
    [InlineData("train --epochs 0 --threads 999", "epochs 0 is outside 1-100; threads 999 is outside 1-256")]
    public void Errors_name_the_value_and_exit_2_without_a_stack_trace(string arguments, string message)
    {
        var store = temp.Combine("books");
        Directory.CreateDirectory(store);
        var (exit, output) = Run([.. arguments.Split(' '), "--store", store, "--data", RealData.RequireFashionMnist()]);
        Assert.Equal(2, exit);
        Assert.Contains($"error: ", output);
        Assert.Contains(message, output);
        Assert.DoesNotContain("   at ", output);
        Assert.Empty(Directory.GetFileSystemEntries(store));
    }

    [Fact, Trait("Needs", "libtorch")]
    public void List_shows_the_models_and_versions_in_the_store()
    {
        var saved = fashion.Saved.Manifest;
        var (exit, output) = Run("list", "--store", fashion.Store.Root);
        Assert.True(exit == 0, output);
        Assert.Contains(saved.Name, output);
        Assert.Contains($"v{saved.Version}", output);
    }

    static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Cli);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "edgeai did not finish within 2 minutes");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
