using EdgeAi.Interactive.Rendering;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!mnist-weights: models and versions on the shared store.</summary>
public sealed class MnistWeightsCommand : MagicCommand;

static class MnistWeightsMagic
{
    public static void Register(Kernel kernel)
    {
        var directive = new KernelActionDirective("#!mnist-weights")
        {
            Description = "List the models and versions on the shared weight store (size, accuracy, when, by whom)",
            Parameters = [Magic.HelpParameter()],
        };
        Magic.Add<MnistWeightsCommand>(kernel, directive, (_, context, cancel) =>
        {
            var survey = Mnist.Store.Survey();
            context.ShowHtml(survey.Versions.Count == 0 && survey.Problems.Count == 0
                ? HtmlViews.NoModels(Mnist.Store.Root) : HtmlViews.Weights(Mnist.Store.Root, survey));
            return Task.CompletedTask;
        });
    }
}
