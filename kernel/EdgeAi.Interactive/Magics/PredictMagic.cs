using System.Text;
using EdgeAi.Core;
using EdgeAi.Interactive.Rendering;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Formatting;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!mnist-predict: test digits as images with the predicted label and the class probabilities.</summary>
public sealed class PredictMnist : MagicCommand
{
    public string? Index { get; set; }
    public string? Count { get; set; }
    public string? Data { get; set; }

    internal (int Index, int Count) Range(List<string> errors)
    {
        var text = new OptionText(errors);
        return (text.Int(Index, "--index", 0, "a test image number from 0"),
                text.Int(Count, "--count", 1, $"1-{Lab.MaxPredictions}"));
    }

    public override IEnumerable<string> GetValidationErrors(CompositeKernel kernel)
    {
        var errors = new List<string>();
        var (index, count) = Range(errors);
        if (index < 0) errors.Add($"--index {index} is negative; test images are numbered from 0.");
        if (count is < 1 or > Lab.MaxPredictions) errors.Add($"--count {count} is outside 1-{Lab.MaxPredictions}.");
        return Magic.AllAtOnce(errors);
    }
}

static class PredictMagic
{
    public static void Register(Kernel kernel)
    {
        var directive = new KernelActionDirective("#!mnist-predict")
        {
            Description = "Show test digits with the model's prediction and class probabilities (the report's imshow(x_test[0]))",
            Parameters =
            [
                new("--index", "First test image, from 0 (default 0)") { TypeHint = "number" },
                new("--count", $"Number of images, 1-{Lab.MaxPredictions} (default 1)") { TypeHint = "number" },
                new("--data", "Directory of the MNIST IDX files (default: as for training)") { TypeHint = "DIR" },
                Magic.HelpParameter(),
            ],
        };
        Magic.Add<PredictMnist>(kernel, directive, async (command, context, cancel) =>
        {
            var model = Require.Model();
            var lab = Mnist.ForData(command.Data);
            var test = (await lab.DatasetAsync(cancel)).Test;
            var (index, count) = command.Range([]);
            var predictions = lab.Predict(model, index, count);

            var html = new StringBuilder("<div style=\"display:flex;flex-wrap:wrap;gap:12px\">");
            foreach (var p in predictions)
            {
                var verdict = p.TrueLabel == p.Label ? "✓" : $"✗ (true {p.TrueLabel})";
                html.Append($"<figure style=\"margin:0;text-align:center\">{DigitPng.ImgTag(test.Image(p.Index), $"test image {p.Index}")}" +
                            $"<figcaption>#{p.Index}: <b>{p.Label}</b> {p.Confidence:P0} {verdict}</figcaption></figure>");
            }
            context.ShowHtml(html.Append("</div>").ToString());
            context.ShowHtml(Charts.Probabilities(predictions.Select(p => $"#{p.Index}").ToArray(),
                predictions.Select(p => p.Probabilities.Select(v => (double)v).ToArray()).ToArray(),
                "Class probabilities"));
        });
    }
}
