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
    [InlineData("train --epochs 0 --threads 999", "epochs 0 is outside 1-100; threads 999 is outside 1-")]
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

    /// <summary>An option that is wrong whatever the data is named before the data is looked for: here there is none.</summary>
    [Theory]
    [InlineData("train --threads 999", "threads 999 is outside 1-")]
    [InlineData("train --epochs 0", "epochs 0 is outside 1-100")]
    [InlineData("train --name ../up", "Model name '../up' is not allowed")]
    [InlineData("eval ../up", "Model name '../up' is not allowed")]
    [InlineData("predict --count 0", "Count 0 is outside 1-100")]
    public void A_wrong_option_is_named_before_the_data_is_looked_for(string arguments, string message)
    {
        var data = Directory.CreateDirectory(temp.Combine("no-data")).FullName;
        var store = temp.Combine("books");
        var (exit, output) = Run([.. arguments.Split(' '), "--data", data, "--store", store]);
        Assert.Equal(2, exit);
        Assert.Contains(message, output);
        Assert.DoesNotContain(data, output);   // the missing data's message names the folder
        Assert.Empty(Directory.GetFileSystemEntries(data));
        Assert.False(Directory.Exists(store));
    }

    [Fact]
    public void Train_help_gives_each_default_once()
    {
        var (exit, output) = Run("train", "--help");
        Assert.Equal(0, exit);
        var threads = output.Split('\n').Single(l => l.TrimStart().StartsWith("--threads"));
        Assert.Contains($"[default: {EdgeAi.Core.Training.TrainingOptions.DefaultThreads}]", threads);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(threads, "default"));
    }

    [Theory]
    [InlineData("train --epochs three", "three")]
    [InlineData("train --no-such-option", "--no-such-option")]
    [InlineData("frobnicate", "frobnicate")]
    public void Usage_errors_exit_2_like_every_other_error(string arguments, string named)
    {
        var (exit, output) = Run(arguments.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains("error: ", output);
        Assert.Contains(named, output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact, Trait("Needs", "libtorch")]
    public void List_prints_what_manifests_say_with_control_characters_escaped()
    {
        var store = temp.Combine("books");
        using (var model = new EdgeAi.Core.Model.MnistMlp(seed: 1))
            new EdgeAi.Core.Store.WeightStore(store).Save("mnist-mlp", model);
        var manifest = Path.Combine(store, "mnist-mlp", "v000001", "manifest.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!;
        node["origin"]!["host"] = "pc\u001b]0;owned\u0007\u001b[2J";   // would retitle and clear the user's terminal
        File.WriteAllText(manifest, node.ToJsonString());
        var (exit, output) = Run("list", "--store", store);
        Assert.True(exit == 0, output);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u0007', output);
        Assert.Contains("pc\\u001b]0;owned\\u0007", output);
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

    /// <summary>eval's confusion matrix: a row per true label, a column per predicted one, which add up to the test set
    /// and agree with the accuracies printed above it.</summary>
    [Fact, Trait("Needs", "libtorch")]
    public void Eval_prints_the_confusion_matrix_that_its_accuracies_come_from()
    {
        var saved = fashion.Saved.Manifest;
        var (exit, output) = Run("eval", $"{saved.Name}@{saved.Version}", "--store", fashion.Store.Root, "--data", RealData.RequireFashionMnist());
        Assert.True(exit == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = Array.IndexOf(lines, "confusion matrix (rows: true label, columns: predicted label):");
        Assert.True(header > 0, output);
        Assert.Equal(Enumerable.Range(0, 10).Select(c => c.ToString()), lines[header + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var rows = lines[(header + 2)..].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray()).ToList();
        Assert.Equal(10, rows.Count);
        Assert.All(rows, r => Assert.Equal(11, r.Length));   // the true label, then its ten counts
        Assert.Equal(Enumerable.Range(0, 10).Select(t => (long)t), rows.Select(r => r[0]));
        Assert.Equal(10_000, rows.Sum(r => r[1..].Sum()));
        var correct = rows.Select((r, t) => r[1 + t]).Sum();
        Assert.Contains($"test accuracy {correct / 10_000.0:P2} on 10000 images", output);
        for (var t = 0; t < 10; t++)
            Assert.Contains($"  class {t}: {(double)rows[t][1 + t] / rows[t][1..].Sum():P1}", output);
    }

    [Fact, Trait("Needs", "libtorch")]
    public void Predict_all_as_csv_gives_every_test_image_with_probabilities_that_agree_with_the_stored_accuracy()
    {
        var saved = fashion.Saved.Manifest;
        var (exit, output) = Run("predict", $"{saved.Name}@{saved.Version}", "--all", "--csv", "--store", fashion.Store.Root, "--data", RealData.RequireFashionMnist());
        Assert.True(exit == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("index,true,predicted,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(10_000, rows.Count);
        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => i.ToString()), rows.Select(r => r[0]));
        var probabilities = rows.Select(r => r[3..].Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.All(probabilities, p => Assert.InRange(p.Sum(), 0.999, 1.001));
        Assert.All(rows.Zip(probabilities), x => Assert.Equal(int.Parse(x.First[2]), Array.IndexOf(x.Second, x.Second.Max())));
        var accuracy = rows.Count(r => r[1] == r[2]) / 10_000.0;
        Assert.Equal(saved.Metrics!.TestAccuracy, accuracy, 6);
    }

    /// <summary>More threads than the cores the process may use (here one, by its CPU affinity) only queue for them.</summary>
    [Fact]
    public void Threads_beyond_the_cores_this_process_may_use_are_refused_with_the_range()
    {
        var store = temp.Combine("books");
        var result = Processes.Execute(Processes.Info("taskset", ["-c", "0", "dotnet", Cli, "train", "--threads", "2", "--store", store,
                                                                  "--data", RealData.RequireFashionMnist()]), TimeSpan.FromMinutes(2));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("threads 2 is outside 1-1 (the cores this process may use, its CPU limit included)", result.Stderr);
        Assert.False(Directory.Exists(store));
    }

    [Fact]
    public void Output_that_cannot_be_written_is_one_error_line_not_a_crash()
    {
        var store = Directory.CreateDirectory(temp.Combine("books")).FullName;
        var result = Processes.Execute(Processes.Info("sh", ["-c", $"exec dotnet '{Cli}' list --store '{store}' > /dev/full"]), TimeSpan.FromMinutes(2));
        Assert.Equal(74, result.ExitCode);
        Assert.Equal("error: cannot write the output: No space left on device", result.Stderr.Trim());

        var closed = Processes.Execute(Processes.Info("sh", ["-c", $"exec dotnet '{Cli}' list --store '{store}' >&-"]), TimeSpan.FromMinutes(2));
        Assert.Equal(74, closed.ExitCode);
        Assert.Equal("error: cannot write the output: standard output is closed or not open for writing", closed.Stderr.Trim());
        Assert.DoesNotContain("Unhandled", closed.Stderr);

        // With standard error gone too, the exit code still tells what happened.
        var silent = Processes.Execute(Processes.Info("sh", ["-c", $"exec dotnet '{Cli}' eval nosuch --store '{store}' --data '{RealData.RequireFashionMnist()}' 2>/dev/full"]), TimeSpan.FromMinutes(2));
        Assert.Equal(2, silent.ExitCode);
    }

    static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var result = Processes.Execute(Processes.Info("dotnet", [Cli, .. arguments]), TimeSpan.FromMinutes(2));
        return (result.ExitCode, result.Output);
    }
}
