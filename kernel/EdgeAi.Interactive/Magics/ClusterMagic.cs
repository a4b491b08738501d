using System.Text;
using EdgeAi.Interactive.Cluster;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Formatting;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!cluster: where this kernel runs.</summary>
public sealed class ShowCluster : MagicCommand;

static class ClusterMagic
{
    public static void Register(Kernel kernel)
    {
        var directive = new KernelActionDirective("#!cluster")
        {
            Description = "Show where this kernel runs: in Kubernetes its pod, node, Deployment replicas and the claim behind /books",
            Parameters = [Magic.HelpParameter()],
        };
        Magic.Add<ShowCluster>(kernel, directive, async (_, context, cancel) =>
        {
            var store = Mnist.Store.Root;
            if (!ClusterReader.InCluster)
            {
                context.ShowHtml(($"<div>Not running in a Kubernetes cluster (no service account token and KUBERNETES_SERVICE_HOST). " +
                                 $"Host <b>{Magic.Encode(Environment.MachineName)}</b>, weight store <code>{Magic.Encode(store)}</code>, " +
                                 $"data {Magic.Encode(Mnist.DataDescription)}.</div>"));
                return;
            }
            context.ShowHtml(Render(await ClusterReader.ReadInClusterAsync(cancel), store));
        });
    }

    public static string Render(ClusterView view, string store)
    {
        var html = new StringBuilder($"<div>Pod <b>{Magic.Encode(view.Pod.Name)}</b> on node <b>{Magic.Encode(view.Pod.Node)}</b> " +
                                     $"in namespace <code>{Magic.Encode(view.Namespace)}</code>.");
        if (view.Deployment is not null)
        {
            html.Append($" Deployment <b>{Magic.Encode(view.Deployment)}</b>: {view.Replicas.Count(p => p.Ready)}/{view.DesiredReplicas} replicas ready." +
                        "<table><tr><th>pod</th><th>node</th><th>phase</th><th>ready</th><th>IP</th></tr>");
            foreach (var p in view.Replicas)
                html.Append($"<tr><td>{Magic.Encode(p.Name)}{(p.Name == view.Pod.Name ? " (this kernel)" : "")}</td><td>{Magic.Encode(p.Node)}</td>" +
                            $"<td>{p.Phase}</td><td>{(p.Ready ? "yes" : "no")}</td><td>{p.Ip}</td></tr>");
            html.Append("</table>");
        }
        html.Append(view.BooksClaim is null
            ? $" No claim is mounted at {ClusterReader.BooksPath}; the store is <code>{Magic.Encode(store)}</code>."
            : $" <code>{ClusterReader.BooksPath}</code> is claim <b>{Magic.Encode(view.BooksClaim)}</b> (volume {Magic.Encode(view.BooksVolume)}, {view.BooksAccessModes}, {view.BooksCapacity}); store <code>{Magic.Encode(store)}</code>.");
        return html.Append("</div>").ToString();
    }
}
