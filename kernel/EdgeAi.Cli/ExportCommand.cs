using System.CommandLine;
using EdgeAi.Core.Export;
using EdgeAi.Core.Store;

namespace EdgeAi.Cli;

/// <summary><c>edgeai export NAME[@VERSION] --format onnx --out FILE</c>: a stored version as a file for other runtimes.</summary>
static class ExportCommand
{
    public static Command Create()
    {
        var model = new Argument<string?>("model") { Description = $"NAME or NAME@VERSION (default: {ModelRef.DefaultName}@latest)", Arity = ArgumentArity.ZeroOrOne };
        // Text, not an enum: a wrong value is then reported by the core with the value and what is allowed, as the magic does.
        var format = new Option<string>("--format") { Description = $"File format: {string.Join(", ", ModelExport.FormatNames)}", DefaultValueFactory = _ => ModelExport.FormatNames[0] };
        var output = new Option<string>("--out") { Description = "File to write (its folder must exist)", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace the file if it exists" };
        var store = new Option<string?>("--store") { Description = $"Weight store directory (default: ${WeightStore.EnvironmentVariable}, {WeightStore.ReportStoreRoot} when {WeightStore.ReportMountPath} is mounted, or ~/.local/share/edgeai/books)" };
        var command = new Command("export", "Export a stored model version (weights verified) to a file, e.g. ONNX for onnxruntime") { model, format, output, force, store };
        command.SetAction(parse =>
        {
            var chosen = ModelExport.ParseFormat(parse.GetValue(format));
            var reference = ModelRef.Parse(parse.GetValue(model));
            var result = ModelExport.Export(WeightStore.Open(parse.GetValue(store)), reference, parse.GetValue(output)!, chosen, parse.GetValue(force));
            Console.WriteLine(Printable.Of(result.Summary));
            return 0;
        });
        return command;
    }
}
