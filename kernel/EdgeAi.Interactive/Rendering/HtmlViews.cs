using System.Globalization;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Store;
using EdgeAi.Interactive.Cluster;
using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Formatting;
using static Microsoft.DotNet.Interactive.Formatting.PocketViewTags;

namespace EdgeAi.Interactive.Rendering;

/// <summary>
/// Every piece of HTML the magics show, built with PocketView (dotnet-interactive's own way): text put into an
/// element is escaped, so names, paths, pod phases or anything else read from the store or the cluster cannot
/// inject markup. Only PNG data URIs are trusted as they are; charts are ChartBuilder, made by EdgeAi.Charts.
/// </summary>
static class HtmlViews
{
    public static IHtmlContent Usage(KernelActionDirective directive) =>
        div(code(directive.Name), ": ", directive.Description,
            table(directive.Parameters.Select(p => tr(
                td(code(p.Name + (p.Flag ? "" : " " + (p.TypeHint ?? "VALUE"))), p.AllowImplicitName ? " (name optional)" : ""),
                td(p.Description)))));

    public static IHtmlContent Loaded(string store, string data, string? chartsNote) =>
        div(code("EdgeAi.Interactive"), " loaded: ", code("#!mnist-train"), ", ", code("#!mnist-load"), ", ", code("#!mnist-eval"), ", ",
            code("#!mnist-predict"), ", ", code("#!mnist-weights"), ", ", code("#!mnist-export"), ", ", code("#!fed-train"), ", ", code("#!cluster"), " (each takes ", code("--help"), "). ",
            "Store ", code(store), ", data ", data, ". Try ", code("#!mnist-train --epochs 1"), ".",
            chartsNote is null ? "" : div(i("Note: ", chartsNote)));

    public static IHtmlContent Training(string what) => div(what);

    public static IHtmlContent TrainingProgress(Core.Training.TrainingProgress p) =>
        div(progress[max: p.Epochs * p.BatchesPerEpoch, value: (p.Epoch - 1) * p.BatchesPerEpoch + p.Batch](),
            $" epoch {p.Epoch}/{p.Epochs}, batch {p.Batch}/{p.BatchesPerEpoch}: loss {p.Loss:F4}, accuracy {p.Accuracy:P1}, " +
            $"{p.SamplesPerSecond:N0} images/s, ETA {p.Eta:m\\:ss}");

    public static IHtmlContent Saved(ModelManifest m, string store, double accuracy, double seconds) =>
        div("Saved ", b(m.Ref.ToString()), " to ", code(store), ": test accuracy ", b(accuracy.ToString("P2", CultureInfo.CurrentCulture)),
            ", trained in ", b($"{seconds:F1} s"), ". In C#: ", code("EdgeAi.Interactive.Mnist.Model"), ".");

    /// <summary>A federation's live view: one row per closed round (global test accuracy, who took part with how many
    /// images and what local accuracy, what was refused, how long it took).</summary>
    public static IHtmlContent Federation(Core.Federated.FederationSettings s, Core.Data.MnistDataset data, IReadOnlyList<Core.Federated.RoundSummary> rounds,
                                          string nodesAre) =>
        div($"Federation of {s.Nodes} nodes on {data.Train.Count:N0} {data.Name} images, partition {s.Partition}, strategy {s.Strategy}" +
            (s.Mu > 0 ? $" (mu {s.Mu})" : "") + $": {s.Rounds} rounds of {s.LocalEpochs} local epoch(s); round {rounds.Count}/{s.Rounds} done. " +
            $"The nodes are {nodesAre}.",
            progress[max: s.Rounds, value: rounds.Count](),
            table(tr(th("round"), th("global test accuracy"), th("nodes (images, local accuracy)"), th("refused"), th("seconds"), th("overhead")),
                  rounds.Select(r => tr(td(r.Round.ToString(CultureInfo.InvariantCulture)), td(r.TestAccuracy.ToString("P2", CultureInfo.CurrentCulture)),
                      td(string.Join(", ", r.Nodes.Select(n => $"{n.Node}: {n.Samples:N0}, {n.LocalAccuracy:P1}"))),
                      td(r.Refused.Count == 0 ? "—" : string.Join("; ", r.Refused.Select(x => x.Reason))),
                      td(r.RoundSeconds.ToString("F1", CultureInfo.CurrentCulture)),
                      td(double.IsNaN(r.OverheadShare) ? "—" : r.OverheadShare.ToString("P0", CultureInfo.CurrentCulture))))));

    public static IHtmlContent FederatedSaved(ModelManifest m, string store) =>
        div("Saved the global model as ", b(m.Ref.ToString()), " to ", code(store), ": test accuracy ",
            b(m.Metrics?.TestAccuracy.ToString("P2", CultureInfo.CurrentCulture) ?? "—"), $" after {m.Federation?.Round} rounds; loaded for the next cells. ",
            "Any node loads it with ", code($"#!mnist-load {m.Ref}"), "; its manifest names every update it averaged.");

    public static IHtmlContent Manifest(ModelManifest m, string headline)
    {
        var origin = m.Origin;
        var where = origin.Pod is null ? origin.Host : $"pod {origin.Pod} on node {origin.Node ?? "?"}" + (origin.Namespace is null ? "" : $" (namespace {origin.Namespace})");
        (string, string)[] rows =
        [
            ("model", m.Ref.ToString()),
            ("trained", $"{m.CreatedUtc:yyyy-MM-dd HH:mm:ss} UTC by {where}"),
            ("test accuracy", m.Metrics is null ? "—" : $"{m.Metrics.TestAccuracy:P2}"),
            ("training", m.Training is null ? "—" : $"{m.Training.Epochs} epochs, batch {m.Training.BatchSize}, learning rate {m.Training.LearningRate}, seed {m.Training.Seed?.ToString() ?? "none"}, {m.Training.Seconds:F1} s"),
            ("federation", m.Federation is not { } f ? "—" : $"round {f.Round} of {f.Settings.Rounds}, {f.Settings.Nodes} nodes ({f.Settings.Partition}, {f.Settings.Strategy}), " +
                (f.ParentVersion is { } parent ? $"made from v{parent} and the {f.Updates.Count} updates its manifest names" : "round 0's seeded model")),
            ("data", m.Dataset is null ? "—" : $"{m.Dataset.Name}: {m.Dataset.TrainImages:N0} training / {m.Dataset.TestImages:N0} test images"),
            ("weights", $"{m.WeightsFileName}, {m.WeightsBytes:N0} bytes, SHA-256 {m.WeightsSha256[..Math.Min(16, m.WeightsSha256.Length)]}… verified"),
            ("made with", origin.Tool),
        ];
        return div(b(headline), table(rows.Select(r => tr(th[style: "text-align:left"](r.Item1), td(r.Item2)))));
    }

    public static IHtmlContent Evaluation(ModelManifest m, EvaluationResult result) =>
        div(m.Ref.ToString(), ": test accuracy ", b(result.Accuracy.ToString("P2", CultureInfo.CurrentCulture)),
            $" on {result.Count:N0} images ({result.Seconds:F3} s)",
            table(tr(result.PerClassAccuracy.Select((a, c) => td(double.IsNaN(a) ? $"{c}: —" : $"{c}: {a:P1}")))));

    public static IHtmlContent Digits(IEnumerable<(string ImageDataUri, string Alt, string Caption, string Verdict, string Label)> digits) =>
        div[style: "display:flex;flex-wrap:wrap;gap:12px"](digits.Select(d =>
            figure[style: "margin:0;text-align:center"](
                img[src: d.ImageDataUri, alt: d.Alt, width: 84, height: 84, style: "image-rendering: pixelated; border: 1px solid #ccc"](),
                _.figcaption(d.Caption, b(d.Label), d.Verdict))));

    public static IHtmlContent Exported(Core.Export.ExportResult r) =>
        div("Exported ", b(r.Source.Ref.ToString()), " to ", code(r.Path), $": {r.Bytes:N0} bytes, ONNX opset {r.Opset}, weights SHA-256 ",
            code(r.Source.WeightsSha256), ".");

    public static IHtmlContent NoTrainedVersions() => div("No trained versions in the store yet: run ", code("#!mnist-train"), " first.");

    public static IHtmlContent NoModels(string store) => div("No models in ", code(store), " yet: run ", code("#!mnist-train"), ".");

    public static IHtmlContent Weights(string store, StoreSurvey survey) =>
        div("Weight store ", code(store), table(
            tr(th("model"), th("version"), th("size"), th("test accuracy"), th("training s"), th("created (UTC)"), th("by")),
            survey.Versions.Select(v => tr(
                td(v.Manifest.Name), td($"v{v.Manifest.Version}" + (v.IsLatest ? " (latest)" : "")), td($"{v.Manifest.WeightsBytes / 1024.0:F0} KiB"),
                td(v.Manifest.Metrics is null ? "—" : v.Manifest.Metrics.TestAccuracy.ToString("P2", CultureInfo.CurrentCulture)),
                td(v.Manifest.Training?.Seconds.ToString("F1", CultureInfo.CurrentCulture) ?? "—"),
                td($"{v.Manifest.CreatedUtc:yyyy-MM-dd HH:mm}"), td(v.Manifest.Origin.Pod ?? v.Manifest.Origin.Host)))),
            survey.Problems.Count == 0 ? "" : div(b($"Skipped {survey.Problems.Count} entries that cannot be read:"),
                ul(survey.Problems.Select(p => li(code(p.Path), ": ", p.Problem)))));

    public static IHtmlContent NotInCluster(string host, string store, string data) =>
        div("Not running in a Kubernetes cluster (no service account token and KUBERNETES_SERVICE_HOST). Host ", b(host),
            ", weight store ", code(store), ", data ", data, ".");

    /// <summary>
    /// Pod, Deployment and claim in one sentence, and the replicas' table. Absent values (a pod not yet on a node, no
    /// IP) show as "—", not "&lt;null&gt;".
    /// </summary>
    public static IHtmlContent Cluster(ClusterView view, string store)
    {
        static string Shown(string? value) => string.IsNullOrEmpty(value) ? "—" : value;
        object[] replicas = view.Deployment is null ? [] :
        [
            " Deployment ", b(view.Deployment), $": {view.Replicas.Count(p => p.Ready)}/{view.DesiredReplicas?.ToString(CultureInfo.InvariantCulture) ?? "—"} replicas ready.",
            table(tr(th("pod"), th("node"), th("phase"), th("ready"), th("IP")),
                  view.Replicas.Select(p => tr(td(p.Name + (p.Name == view.Pod.Name ? " (this kernel)" : "")), td(Shown(p.Node)), td(p.Phase),
                                               td(p.Ready ? "yes" : "no"), td(Shown(p.Ip))))),
        ];
        object[] books = view.BooksClaim is null
            ? [$" No claim is mounted at {ClusterReader.BooksPath}; the store is ", code(store), "."]
            : [" ", code(ClusterReader.BooksPath), " is claim ", b(view.BooksClaim),
               $" (volume {Shown(view.BooksVolume)}, {Shown(view.BooksAccessModes)}, {Shown(view.BooksCapacity)}); store ", code(store), "."];
        return div(Inline(["Pod ", b(view.Pod.Name), " on node ", b(Shown(view.Pod.Node)), " in namespace ", code(view.Namespace), ".", .. replicas, .. books]));
    }

    /// <summary>Pieces made at run time as one piece of HTML: text escaped, elements as they are. (PocketView takes an
    /// array made at run time as one child, which the kernel's formatter then shows as a table of its items.)</summary>
    static IHtmlContent Inline(IEnumerable<object> pieces) => new HtmlString(string.Concat(pieces.Select(piece =>
        piece is IHtmlContent html ? html.ToString() : System.Net.WebUtility.HtmlEncode(piece.ToString()))));
}
