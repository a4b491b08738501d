using EdgeAi.Interactive.Cluster;
using EdgeAi.Interactive.Rendering;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!cluster: where this kernel runs.</summary>
public sealed class ClusterCommand : MagicCommand;

static class ClusterMagic
{
    public static void Register(Kernel kernel)
    {
        var directive = new KernelActionDirective("#!cluster")
        {
            Description = "Show where this kernel runs: in Kubernetes its pod, node, Deployment replicas and the claim behind /books",
            Parameters = [Magic.HelpParameter()],
        };
        Magic.Add<ClusterCommand>(kernel, directive, async (_, context, cancel) =>
        {
            var store = Mnist.Store.Root;
            if (!ClusterReader.InCluster)
            {
                context.ShowHtml(HtmlViews.NotInCluster(Environment.MachineName, store, Mnist.DataDescription));
                return;
            }
            context.ShowHtml(HtmlViews.Cluster(await ClusterReader.ReadInClusterAsync(cancel), store));
        });
    }
}
