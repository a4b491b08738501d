using System.Text;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Formatting;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!mnist-weights: models and versions on the shared store.</summary>
public sealed class ListWeights : MagicCommand;

static class WeightsMagic
{
    public static void Register(Kernel kernel)
    {
        var directive = new KernelActionDirective("#!mnist-weights")
        {
            Description = "List the models and versions on the shared weight store (size, accuracy, when, by whom)",
            Parameters = [Magic.HelpParameter()],
        };
        Magic.Add<ListWeights>(kernel, directive, (_, context, cancel) =>
        {
            var versions = Mnist.Store.List();
            if (versions.Count == 0)
            {
                context.ShowHtml($"<div>No models in <code>{Magic.Encode(Mnist.Store.Root)}</code> yet: run <code>#!mnist-train</code>.</div>");
                return Task.CompletedTask;
            }
            var html = new StringBuilder($"<div>Weight store <code>{Magic.Encode(Mnist.Store.Root)}</code><table><tr><th>model</th><th>version</th><th>size</th>" +
                                         "<th>test accuracy</th><th>training s</th><th>created (UTC)</th><th>by</th></tr>");
            foreach (var v in versions)
            {
                var m = v.Manifest;
                html.Append($"<tr><td>{Magic.Encode(m.Name)}</td><td>v{m.Version}{(v.IsLatest ? " (latest)" : "")}</td><td>{m.WeightsBytes / 1024.0:F0} KiB</td>" +
                            $"<td>{(m.Metrics is null ? "—" : m.Metrics.TestAccuracy.ToString("P2"))}</td><td>{m.Training?.Seconds.ToString("F1") ?? "—"}</td>" +
                            $"<td>{m.CreatedUtc:yyyy-MM-dd HH:mm}</td><td>{Magic.Encode(m.Origin.Pod ?? m.Origin.Host)}</td></tr>");
            }
            context.ShowHtml(html.Append("</table></div>").ToString());
            return Task.CompletedTask;
        });
    }
}
