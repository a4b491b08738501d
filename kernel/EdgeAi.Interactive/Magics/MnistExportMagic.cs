using EdgeAi.Core;
using EdgeAi.Core.Export;
using EdgeAi.Core.Store;
using EdgeAi.Interactive.Rendering;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!mnist-export [NAME[@VERSION]] --out FILE [--format onnx] [--force]: a stored version as a file for the edge.</summary>
public sealed class MnistExportCommand : MagicCommand
{
    public string? Model { get; set; }
    public string? Out { get; set; }
    public string? Format { get; set; }
    public bool Force { get; set; }

    /// <summary>The version to export: the one named, else the one this kernel loaded or trained (so the file is the
    /// model the notebook just evaluated), else the default model's latest.</summary>
    internal ModelRef Reference() =>
        Model is null && Mnist.Manifest is { } current ? current.Ref : ModelRef.Parse(Model);

    public override IEnumerable<string> GetValidationErrors(CompositeKernel kernel)
    {
        var errors = new List<string>();
        if (Help)
            return [];   // --help alone is a whole command: the usage says what --out takes
        Magic.Check(errors, () => ModelRef.Parse(Model));
        Magic.Check(errors, () => ModelExport.ParseFormat(Format));
        if (string.IsNullOrWhiteSpace(Out))
            errors.Add("--out is required: name the file to write, e.g. --out mnist.onnx.");
        return Magic.AllAtOnce(errors);
    }
}

static class MnistExportMagic
{
    public static void Register(Kernel kernel)
    {
        var directive = new KernelActionDirective("#!mnist-export")
        {
            Description = "Export a stored model version (weights verified) to a file for other runtimes: ONNX for onnxruntime on the edge",
            Parameters =
            [
                new KernelDirectiveParameter("--model", "NAME or NAME@VERSION (default: the loaded or trained version, else mnist-mlp@latest)") { AllowImplicitName = true, TypeHint = "NAME[@VERSION]" }
                    .AddCompletions(() => Mnist.VersionsForCompletion().SelectMany(v => new[] { v.Manifest.Name, v.Manifest.Ref.ToString() }).Distinct()),
                new("--out", "File to write, relative to the notebook's folder (its folder must exist)") { TypeHint = "FILE" },
                new KernelDirectiveParameter("--format", $"File format: {string.Join(", ", ModelExport.FormatNames)} (default onnx)") { TypeHint = "FORMAT" }
                    .AddCompletions(() => ModelExport.FormatNames),
                new("--force", "Replace the file if it exists") { Flag = true },
                Magic.HelpParameter(),
            ],
        };
        Magic.Add<MnistExportCommand>(kernel, directive, (command, context, cancel) =>
        {
            var result = ModelExport.Export(Mnist.Store, command.Reference(), command.Out!, ModelExport.ParseFormat(command.Format), command.Force);
            context.ShowHtml(HtmlViews.Exported(result));
            return Task.CompletedTask;
        });
    }
}
