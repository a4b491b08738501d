using System.Text.Json.Nodes;

namespace EdgeAi.Notebook.Tests;

public sealed class SavedNotebookTests
{
    public static TheoryData<string> Notebooks() =>
        new(Directory.GetFiles(Path.Combine(RealData.RepositoryRoot, "notebooks"), "*.ipynb").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void NotebooksAreCommittedWithoutOutputsAndStartByLoadingTheExtension(string name)
    {
        var nb = JsonNode.Parse(File.ReadAllText(Path.Combine(RealData.RepositoryRoot, "notebooks", name)))!;
        var code = nb["cells"]!.AsArray().Where(c => (string)c!["cell_type"]! == "code").ToList();
        Assert.All(code, c =>
        {
            Assert.Empty(c!["outputs"]!.AsArray());
            Assert.Null(c["execution_count"]);
        });
        // The release's exact version: dotnet-interactive then answers a later kernel's #r from its restore cache
        // (1.7 s instead of 4.2 s measured), and the notebook gets the extension it was written for.
        var version = Processes.Run(Path.Combine(RealData.RepositoryRoot, "scripts", "versions.sh"), "edgeai").Trim();
        Assert.Equal($"#r \"nuget: EdgeAi.Interactive, {version}\"", string.Concat(code[0]!["source"]!.AsArray().Select(l => (string)l!)).Trim());
        Assert.Equal(Kernelspec.Name, (string)nb["metadata"]!["kernelspec"]!["name"]!);
    }
}
