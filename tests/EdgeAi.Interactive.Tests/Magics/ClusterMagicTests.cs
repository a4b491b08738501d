using EdgeAi.Interactive.Tests.Support;

namespace EdgeAi.Interactive.Tests.Magics;

public sealed class ClusterMagicTests
{
    [Fact]
    public async Task OutsideAClusterItSaysSoAndNamesHostAndStore()
    {
        await using var session = await KernelSession.StartAsync();
        var cell = await session.RunAsync("#!cluster");
        Assert.True(cell.Succeeded, cell.Error);
        var html = Assert.Single(cell.Html);
        Assert.Contains("Not running in a Kubernetes cluster", html);
        Assert.Contains(Environment.MachineName, html);
        Assert.Contains(session.Store, html);
    }
}
