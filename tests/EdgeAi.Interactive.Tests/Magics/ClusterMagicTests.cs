using EdgeAi.Interactive.Cluster;
using EdgeAi.Interactive.Rendering;
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

    [Fact]
    public void What_the_cluster_reports_is_shown_as_text_never_as_markup()
    {
        const string hostile = "<img src=x onerror=alert(1)>";
        var pod = new PodView("edgeai-lab-0", "<b>node</b>", hostile, true, "<script>alert(2)</script>");
        var view = new ClusterView("<i>ns</i>", pod, "edgeai-lab", 2, [pod, pod with { Name = "edgeai-lab-1", Phase = "Running" }],
                                   "books", "nfs<svg>", "<script>ReadWriteMany</script>", "10Gi");
        var html = HtmlViews.Cluster(view, "/books").ToString()!;
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<svg", html);
        Assert.DoesNotContain("<b>node", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html);
        Assert.Contains("&lt;script&gt;ReadWriteMany&lt;/script&gt;", html);
        Assert.Contains("edgeai-lab-0 (this kernel)", html);
    }
}
