using System.Reflection;

namespace EdgeAi.Core.Tests.Cli;

/// <summary>`edgeai fed`, as a terminal user or a Job runs it: a bad option is named with what is allowed, exit 2.</summary>
[Trait("Needs", "cli-build")]
public sealed class FedCliTests : IDisposable
{
    static readonly string Cli = typeof(FedCliTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("run --nodes 0", "nodes 0 is outside 1-256")]
    [InlineData("run --rounds 1001", "rounds 1001 is outside 1-1000")]
    [InlineData("run --partition zipf", "Partition 'zipf' is not known. Allowed: none, iid, dirichlet:ALPHA")]
    [InlineData("run --partition shards:11", "K 11 is outside 1-10")]
    [InlineData("aggregate --strategy fedsgd", "Strategy 'fedsgd' is not known")]
    [InlineData("aggregate --nodes 4 --min-nodes 5", "min nodes 5 is outside 1-4")]
    [InlineData("run --mu 20", "mu 20 is outside 0-10")]
    [InlineData("run --round-timeout 0", "round timeout 0 s is outside 1-86400 s")]
    [InlineData("worker", "No node index: pass --node I")]
    [InlineData("worker --node 0 --timeout 0", "timeout 0 s is outside 1-86400 s")]
    [InlineData("worker --node 0 --threads 999", "threads 999 is outside 1-")]
    public void A_bad_option_is_named_exit_2_and_nothing_is_published(string arguments, string message)
    {
        var store = temp.Combine("books");
        var info = Processes.Info("dotnet", [Cli, "fed", .. arguments.Split(' '), "--store", store, "--data", RealData.RequireFashionMnist()]);
        info.Environment.Remove("JOB_COMPLETION_INDEX");
        var result = Processes.Execute(info, TimeSpan.FromMinutes(2));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: ", result.Stderr);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Output);
        Assert.False(Directory.Exists(store) && Directory.EnumerateFileSystemEntries(store, "*", SearchOption.AllDirectories).Any(), "something was written");
    }
}
