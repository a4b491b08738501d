using EdgeAi.Core.Store;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Formatting;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!mnist-load [NAME[@VERSION]]: the report's "no training" path.</summary>
public sealed class LoadMnist : MagicCommand
{
    public string? Model { get; set; }

    public override IEnumerable<string> GetValidationErrors(CompositeKernel kernel)
    {
        var errors = new List<string>();
        try { ModelRef.Parse(Model); } catch (EdgeAi.Core.EdgeAiException e) { errors.Add(e.Message); }
        return Magic.AllAtOnce(errors);
    }
}

static class LoadMagic
{
    public static void Register(Kernel kernel)
    {
        var directive = new KernelActionDirective("#!mnist-load")
        {
            Description = "Load a model version from the shared store (latest by default) and show who trained it where",
            Parameters =
            [
                new KernelDirectiveParameter("--model", "NAME or NAME@VERSION (default mnist-mlp@latest)") { AllowImplicitName = true, TypeHint = "NAME[@VERSION]" }
                    .AddCompletions(() => Mnist.Store.List().SelectMany(v => new[] { v.Manifest.Name, $"{v.Manifest.Name}@v{v.Manifest.Version}" }).Distinct()),
                Magic.HelpParameter(),
            ],
        };
        Magic.Add<LoadMnist>(kernel, directive, (command, context, cancel) =>
        {
            var loaded = Mnist.Store.Load(ModelRef.Parse(command.Model));
            Mnist.Use(loaded.Model, loaded.Manifest);
            context.ShowHtml(ManifestHtml.Render(loaded.Manifest, $"Loaded in {loaded.Seconds:F3} s (no training)"));
            return Task.CompletedTask;
        });
    }
}

static class ManifestHtml
{
    public static string Render(ModelManifest m, string headline)
    {
        var origin = m.Origin;
        var where = origin.Pod is null ? origin.Host : $"pod {origin.Pod} on node {origin.Node ?? "?"}" + (origin.Namespace is null ? "" : $" (namespace {origin.Namespace})");
        var rows = new List<(string, string)>
        {
            ("model", $"{m.Name}@v{m.Version}"),
            ("trained", $"{m.CreatedUtc:yyyy-MM-dd HH:mm:ss} UTC by {where}"),
            ("test accuracy", m.Metrics is null ? "—" : $"{m.Metrics.TestAccuracy:P2}"),
            ("training", m.Training is null ? "—" : $"{m.Training.Epochs} epochs, batch {m.Training.BatchSize}, learning rate {m.Training.LearningRate}, seed {m.Training.Seed?.ToString() ?? "none"}, {m.Training.Seconds:F1} s"),
            ("data", m.Dataset is null ? "—" : $"{m.Dataset.Name}: {m.Dataset.TrainImages:N0} training / {m.Dataset.TestImages:N0} test images"),
            ("weights", $"{m.WeightsFileName}, {m.WeightsBytes:N0} bytes, SHA-256 {m.WeightsSha256[..16]}… verified"),
            ("made with", origin.Tool),
        };
        return $"<div><b>{Magic.Encode(headline)}</b><table>" +
               string.Concat(rows.Select(r => $"<tr><th style=\"text-align:left\">{r.Item1}</th><td>{Magic.Encode(r.Item2)}</td></tr>")) +
               "</table></div>";
    }
}
