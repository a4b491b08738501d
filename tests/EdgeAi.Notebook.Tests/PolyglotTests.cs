using System.Text.Json.Nodes;
using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>
/// Polyglot Notebooks (VS Code, docs/vscode.md): it opens an .ipynb as a .NET notebook by the kernelspec's name and runs
/// each cell, by the kernel its metadata names, in a dotnet-interactive of its own that knows nothing of our
/// kernelspec. `./lab feed` makes the lab's feed a NuGet source of the user, which is all that kernel reads.
/// VS Code itself cannot run here: the kernel is started and driven as Polyglot does (stdio, JSON lines).
/// </summary>
public sealed class PolyglotTests : IDisposable
{
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    public static TheoryData<string> Notebooks() => SavedNotebookTests.Notebooks();

    static JsonNode Open(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(RealData.RepositoryRoot, "notebooks", name)))!;

    static IEnumerable<JsonNode> CodeCells(JsonNode nb) => nb["cells"]!.AsArray().Where(c => (string)c!["cell_type"]! == "code")!;

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Each_notebook_is_a_CSharp_notebook_to_Polyglot_and_names_our_kernel_not_its_own(string name)
    {
        var nb = Open(name);
        var kernelspec = (string)nb["metadata"]!["kernelspec"]!["name"]!;
        // Polyglot's isDotNetNotebook (metadataUtilities.ts): an .ipynb is one of its own when this starts with `.net-`.
        Assert.StartsWith(".net-", kernelspec);
        Assert.NotEqual(".net-csharp", kernelspec);
        Assert.Equal("csharp", (string)nb["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]!);
        Assert.All(CodeCells(nb), c =>
        {
            Assert.Equal("csharp", (string)c["metadata"]!["polyglot_notebook"]!["kernelName"]!);
            Assert.Equal("csharp", (string)c["metadata"]!["dotnet_interactive"]!["language"]!);
        });
    }

    [Fact]
    public async Task With_lab_feed_the_notebooks_run_in_Polyglots_own_kernel_and_without_it_the_restore_names_the_package()
    {
        var home = temp.Combine("home");
        Directory.CreateDirectory(home);
        var packages = PackagesWithoutOurs();
        var store = temp.Combine("models");
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["NUGET_PACKAGES"] = packages,
            ["EDGEAI_WEIGHTS_DIR"] = store,
            ["EDGEAI_DATA_DIR"] = RealData.RequireFashionMnist(),
            ["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        var notebooks = Path.Combine(RealData.RepositoryRoot, "notebooks");

        // Before: the package is nowhere Polyglot's kernel looks, and it says which package it could not find.
        var release = Processes.Run(Path.Combine(RealData.RepositoryRoot, "scripts", "versions.sh"), "edgeai").Trim();
        using (var before = new PolyglotKernel(notebooks, environment))
        {
            var failed = await before.SubmitAsync($"#r \"nuget: EdgeAi.Interactive, {release}\"", "csharp", TimeSpan.FromMinutes(5));
            Assert.False(failed.Succeeded);
            Assert.Contains("Unable to find package EdgeAi.Interactive", failed.Error);
            Assert.False(before.HasExited);
        }

        var added = Processes.Execute(LabFeed(home, packages), TimeSpan.FromMinutes(10));
        Assert.True(added.ExitCode == 0, added.Output);
        var config = Path.Combine(home, ".nuget", "NuGet", "NuGet.Config");
        Assert.Contains($"<add key=\"edgeai-lab\" value=\"{Path.Combine(RealData.RepositoryRoot, ".lab", "feed")}\" />", File.ReadAllText(config));

        foreach (var name in new[] { "mnist_training.ipynb", "mnist_prediction.ipynb" })
        {
            using var kernel = new PolyglotKernel(notebooks, environment);
            var outputs = new List<PolyglotKernel.Cell>();
            foreach (var cell in CodeCells(Open(name)))
            {
                var code = string.Concat(cell["source"]!.AsArray().Select(l => (string)l!));
                var ran = await kernel.SubmitAsync(code, (string)cell["metadata"]!["polyglot_notebook"]!["kernelName"]!, TimeSpan.FromMinutes(5));
                Assert.True(ran.Succeeded, $"{name}: {code}\n{ran.Error}");
                outputs.Add(ran);
            }
            var html = outputs.SelectMany(o => o.Values("text/html")).ToList();
            Assert.Contains(html, h => h.Contains("EdgeAi.Interactive</code> loaded"));
            // The Plotly figure that VS Code draws itself, beside the picture for where it does not.
            Assert.Contains(outputs, o => o.Values("application/vnd.plotly.v1+json").Any());
            if (name == "mnist_training.ipynb")
                Assert.Contains(html, h => h.Contains("Saved <b>mnist-mlp@v1</b>"));
            else
                Assert.Contains(html, h => h.Contains("mnist-mlp@v2") && h.Contains("verified"));
        }
        Assert.True(Directory.Exists(Path.Combine(store, "mnist-mlp", "v000002")));

        var remove = LabFeed(home, packages, "--remove");
        var removed = Processes.Execute(remove, TimeSpan.FromMinutes(2));
        Assert.True(removed.ExitCode == 0, removed.Output);
        Assert.DoesNotContain("edgeai-lab", File.ReadAllText(config));
    }

    /// <summary>A NuGet package folder with every package of this machine's but ours: the folder is a source too (a
    /// build of ours in it would be found without the feed), and the others need not be downloaded again.</summary>
    string PackagesWithoutOurs()
    {
        var machine = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                      ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var packages = temp.Combine("packages");
        Directory.CreateDirectory(packages);
        foreach (var id in Directory.EnumerateDirectories(machine).Where(d => !Path.GetFileName(d).StartsWith("edgeai.")))
            Directory.CreateSymbolicLink(Path.Combine(packages, Path.GetFileName(id)), id);
        return packages;
    }

    System.Diagnostics.ProcessStartInfo LabFeed(string home, string packages, params string[] options)
    {
        var info = Lab.Start(temp.Combine("books"), ["feed", .. options]);
        info.Environment["HOME"] = home;
        info.Environment["NUGET_PACKAGES"] = packages;
        return info;
    }
}
