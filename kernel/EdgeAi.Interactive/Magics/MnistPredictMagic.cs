using EdgeAi.Core;
using EdgeAi.Interactive.Rendering;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!mnist-predict: test digits as images with the predicted label and the class probabilities.</summary>
public sealed class MnistPredictCommand : MagicCommand
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
        if (index < 0)
            errors.Add($"--index {index} is negative; test images are numbered from 0.");
        if (count is < 1 or > Lab.MaxPredictions)
            errors.Add($"--count {count} is outside 1-{Lab.MaxPredictions}.");
        return Magic.AllAtOnce(errors);
    }
}

static class MnistPredictMagic
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
        Magic.Add<MnistPredictCommand>(kernel, directive, async (command, context, cancel) =>
        {
            var model = Require.Model();
            var lab = await Mnist.ForDataAsync(command.Data, cancel);
            var test = lab.Dataset.Test;
            var (index, count) = command.Range([]);
            var predictions = lab.Predict(model, index, count);

            context.ShowHtml(HtmlViews.Digits(predictions.Select(p => (
                DigitPng.DataUri(test.Image(p.Index)), $"test image {p.Index}", $"#{p.Index}: ",
                $" {p.Confidence:P0} " + (p.TrueLabel == p.Label ? "✓" : $"✗ (true {p.TrueLabel})"), p.Label.ToString()))));
            context.ShowChart(IsolatedCharts.Probabilities(predictions.Select(p => $"#{p.Index}").ToArray(),
                predictions.Select(p => p.Probabilities.Select(v => (double)v).ToArray()).ToArray(),
                "Class probabilities"));
        });
    }
}
