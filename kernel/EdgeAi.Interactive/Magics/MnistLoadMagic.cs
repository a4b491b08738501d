using EdgeAi.Core.Store;
using EdgeAi.Interactive.Rendering;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!mnist-load [NAME[@VERSION]]: the report's "no training" path.</summary>
public sealed class MnistLoadCommand : MagicCommand
{
    public string? Model { get; set; }

    public override IEnumerable<string> GetValidationErrors(CompositeKernel kernel)
    {
        var errors = new List<string>();
        try
        { ModelRef.Parse(Model); }
        catch (EdgeAi.Core.EdgeAiException e) { errors.Add(e.Message); }
        return Magic.AllAtOnce(errors);
    }
}

static class MnistLoadMagic
{
    public static void Register(Kernel kernel)
    {
        var directive = new KernelActionDirective("#!mnist-load")
        {
            Description = "Load a model version from the shared store (latest by default) and show who trained it where",
            Parameters =
            [
                new KernelDirectiveParameter("--model", "NAME or NAME@VERSION (default mnist-mlp@latest)") { AllowImplicitName = true, TypeHint = "NAME[@VERSION]" }
                    .AddCompletions(() => Mnist.VersionsForCompletion().SelectMany(v => new[] { v.Manifest.Name, v.Manifest.Ref.ToString() }).Distinct()),
                Magic.HelpParameter(),
            ],
        };
        Magic.Add<MnistLoadCommand>(kernel, directive, (command, context, cancel) =>
        {
            var loaded = Mnist.Store.Load(ModelRef.Parse(command.Model));
            Mnist.Use(loaded.Model, loaded.Manifest);
            context.ShowHtml(HtmlViews.Manifest(loaded.Manifest, $"Loaded in {loaded.Seconds:F3} s (no training)"));
            return Task.CompletedTask;
        });
    }
}
