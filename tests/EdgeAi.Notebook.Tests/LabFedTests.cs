using System.Text.Json.Nodes;
using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>`./lab fed`: a federation of separate processes on this machine that share nothing but the store's folder.</summary>
public sealed class LabFedTests : IDisposable
{
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    [Fact]
    public void Worker_processes_meet_only_in_the_store_and_leave_the_global_model_there()
    {
        var books = temp.Combine("books");
        var (exit, output) = Lab.Run(books, "fed", "--nodes", "3", "--rounds", "2", "--partition", "iid", "--name", "lab-fed", "--round-timeout", "300");
        Assert.True(exit == 0, output);
        Assert.Contains("3 workers started", output);
        if (Environment.UserName == "root")
            Assert.Contains("each in network namespace edgeai-fed-N, no interface up", output);
        Assert.Contains("federated model lab-fed@v3", output);
        for (var node = 0; node < 3; node++)
            Assert.Contains($"[node {node}] node {node}: took part in 2 round(s)", output);

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Lab.Store(books), "lab-fed", "v000003", "manifest.json")))!;
        var updates = manifest["federation"]!["updates"]!.AsArray();
        Assert.Equal([0, 1, 2], updates.Select(u => (int)u!["node"]!));
        Assert.Equal(60_000, updates.Sum(u => (long)u!["samples"]!));
        Assert.DoesNotContain(Processes.Run("ip", "netns", "list").Split('\n'), l => l.StartsWith("edgeai-fed-"));   // namespaces removed
    }

    [Theory]
    [InlineData("--partition", "zipf", "Partition 'zipf' is not known")]
    public void Bad_options_are_named_and_no_worker_starts(string option, string value, string message)
    {
        var books = temp.Combine("books");
        var (exit, output) = Lab.Run(books, "fed", option, value);
        Assert.NotEqual(0, exit);
        Assert.Contains(message, output);
        Assert.DoesNotContain("workers started", output);
    }
}
