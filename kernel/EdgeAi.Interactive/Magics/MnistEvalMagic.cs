using EdgeAi.Core;
using EdgeAi.Interactive.Rendering;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!mnist-eval: test accuracy, per-class accuracy and a confusion-matrix heatmap.</summary>
public sealed class MnistEvalCommand : MagicCommand
{
    public string? Data { get; set; }
}

static class MnistEvalMagic
{
    public static void Register(Kernel kernel)
    {
        var directive = new KernelActionDirective("#!mnist-eval")
        {
            Description = "Evaluate the loaded or just-trained model on the test images: accuracy, per class, confusion matrix",
            Parameters =
            [
                new("--data", "Directory of the MNIST IDX files (default: as for training)") { TypeHint = "DIR" },
                Magic.HelpParameter(),
            ],
        };
        Magic.Add<MnistEvalCommand>(kernel, directive, async (command, context, cancel) =>
        {
            var model = Require.Model();
            var lab = await Mnist.ForDataAsync(command.Data, cancel);
            var result = lab.Evaluate(model);
            Mnist.LastEvaluation = result;
            context.ShowHtml(HtmlViews.Evaluation(Mnist.Manifest!, result));
            var counts = Enumerable.Range(0, 10).Select(t => Enumerable.Range(0, 10).Select(p => result.Confusion[t, p]).ToArray()).ToArray();
            context.ShowChart(IsolatedCharts.Confusion(counts, "Confusion matrix (rows: true label)"));
        });
    }
}

static class Require
{
    public static EdgeAi.Core.Model.MnistMlp Model() =>
        Mnist.Model ?? throw new EdgeAiException("No model yet: run #!mnist-train or #!mnist-load first.");
}
