using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>
/// scripts/seed-notebooks, which puts the sample notebooks on the shared volume for ./lab up, its replicas and the
/// image: a student's file is never replaced, and a newer version's samples land beside the student's.
/// </summary>
public sealed class SeedNotebooksTests : IDisposable
{
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    static string Script => Path.Combine(RealData.RepositoryRoot, "scripts", "seed-notebooks");

    string Samples(string version, params (string Name, string Text)[] notebooks)
    {
        var directory = temp.Combine($"samples-{version}");
        Directory.CreateDirectory(directory);
        foreach (var (name, text) in notebooks)
            File.WriteAllText(Path.Combine(directory, name), text);
        return directory;
    }

    static void Seed(string samples, string notebooks, string version)
    {
        var result = Processes.Execute(Script, samples, notebooks, version);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    static string[] Names(string notebooks) =>
        Directory.GetFiles(notebooks).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void A_students_edit_and_deletion_survive_every_restart_and_a_new_version_lands_beside_them()
    {
        var notebooks = temp.Combine("books", "notebooks");
        Directory.CreateDirectory(notebooks);
        var first = Samples("1.0.0", ("train.ipynb", "train 1"), ("predict.ipynb", "predict 1"), ("cluster.ipynb", "cluster 1"));

        Seed(first, notebooks, "1.0.0");
        Assert.Equal(["cluster.ipynb", "predict.ipynb", "train.ipynb"], Names(notebooks));
        Assert.Equal("train 1", File.ReadAllText(Path.Combine(notebooks, "train.ipynb")));

        // The student edits one sample and deletes another; the server restarts (same version) twice.
        File.WriteAllText(Path.Combine(notebooks, "train.ipynb"), "my edit");
        File.Delete(Path.Combine(notebooks, "cluster.ipynb"));
        Seed(first, notebooks, "1.0.0");
        Seed(first, notebooks, "1.0.0");
        Assert.Equal(["predict.ipynb", "train.ipynb"], Names(notebooks));
        Assert.Equal("my edit", File.ReadAllText(Path.Combine(notebooks, "train.ipynb")));

        // A newer image: the edited sample's new version lands beside the edit; the untouched older sample is not
        // replaced either (its new version lands beside it); a sample whose name is free takes it.
        var second = Samples("2.0.0", ("train.ipynb", "train 2"), ("predict.ipynb", "predict 2"), ("cluster.ipynb", "cluster 2"));
        Seed(second, notebooks, "2.0.0");
        Assert.Equal(["cluster.ipynb", "predict-2.0.0.ipynb", "predict.ipynb", "train-2.0.0.ipynb", "train.ipynb"], Names(notebooks));
        Assert.Equal("my edit", File.ReadAllText(Path.Combine(notebooks, "train.ipynb")));
        Assert.Equal("train 2", File.ReadAllText(Path.Combine(notebooks, "train-2.0.0.ipynb")));
        Assert.Equal("predict 1", File.ReadAllText(Path.Combine(notebooks, "predict.ipynb")));
        Assert.Equal("cluster 2", File.ReadAllText(Path.Combine(notebooks, "cluster.ipynb")));

        // The student edits the new copy too: a further restart keeps it.
        File.WriteAllText(Path.Combine(notebooks, "train-2.0.0.ipynb"), "my second edit");
        Seed(second, notebooks, "2.0.0");
        Assert.Equal("my second edit", File.ReadAllText(Path.Combine(notebooks, "train-2.0.0.ipynb")));
    }

    [Fact]
    public void Replicas_starting_together_seed_each_sample_once_and_leave_no_temporary_files()
    {
        var notebooks = temp.Combine("books", "notebooks");
        Directory.CreateDirectory(notebooks);
        var samples = Samples("1.0.0", Enumerable.Range(1, 12).Select(i => ($"n{i:D2}.ipynb", $"sample {i}")).ToArray());

        var seeders = Enumerable.Range(0, 8).Select(_ => System.Diagnostics.Process.Start(Script, [samples, notebooks, "1.0.0"])!).ToList();
        seeders.ForEach(p => { p.WaitForExit(); Assert.Equal(0, p.ExitCode); });

        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"n{i:D2}.ipynb"), Names(notebooks));
        Assert.All(Enumerable.Range(1, 12), i => Assert.Equal($"sample {i}", File.ReadAllText(Path.Combine(notebooks, $"n{i:D2}.ipynb"))));
        Assert.Equal(["1.0.0"], Directory.GetFileSystemEntries(Path.Combine(notebooks, ".edgeai-samples")).Select(Path.GetFileName));
    }
}
