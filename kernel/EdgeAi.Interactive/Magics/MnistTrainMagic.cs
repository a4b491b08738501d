using EdgeAi.Core;
using EdgeAi.Core.Store;
using EdgeAi.Core.Training;
using EdgeAi.Interactive.Rendering;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Directives;

namespace EdgeAi.Interactive.Magics;

/// <summary>#!mnist-train: train, show live progress and curves, save a new version to the shared store.</summary>
public sealed class MnistTrainCommand : MagicCommand
{
    public string? Epochs { get; set; }
    public string? BatchSize { get; set; }
    public string? LearningRate { get; set; }
    public string? Seed { get; set; }
    public string? Threads { get; set; }
    public string? Data { get; set; }
    public string Name { get; set; } = ModelRef.DefaultName;

    internal TrainingOptions Options(List<string> errors)
    {
        var text = new OptionText(errors);
        var defaults = TrainingOptions.Default;
        return new TrainingOptions
        {
            Epochs = text.Int(Epochs, "--epochs", defaults.Epochs, $"1-{TrainingOptions.MaxEpochs}"),
            BatchSize = text.Int(BatchSize, "--batch-size", defaults.BatchSize, "1 up to the number of training images"),
            LearningRate = text.Double(LearningRate, "--learning-rate", defaults.LearningRate, "a number in (0, 1] such as 0.001"),
            Seed = text.Long(Seed, "--seed", "a whole number from 0"),
            Threads = text.Int(Threads, "--threads", defaults.Threads, $"1-{TrainingOptions.MaxThreads}"),
            ProgressInterval = TimeSpan.FromMilliseconds(500),
        };
    }

    public override IEnumerable<string> GetValidationErrors(CompositeKernel kernel)
    {
        var errors = new List<string>();
        var options = Options(errors);   // a value that is not a number is replaced by its default here
        Magic.Check(errors, () => options.Validate(int.MaxValue));
        Magic.Check(errors, () => ModelRef.ValidateName(Name));
        return Magic.AllAtOnce(errors);
    }
}

static class MnistTrainMagic
{
    public static void Register(Kernel kernel)
    {
        var defaults = TrainingOptions.Default;
        var directive = new KernelActionDirective("#!mnist-train")
        {
            Description = "Train the report's MLP on MNIST, show progress and curves, and save a new version to the shared store",
            Parameters =
            [
                new("--epochs", $"Passes over the training images, 1-{TrainingOptions.MaxEpochs} (default {defaults.Epochs})") { TypeHint = "number" },
                new("--batch-size", $"Images per step, 1 up to the training set size (default {defaults.BatchSize}, as Keras)") { TypeHint = "number" },
                new("--learning-rate", $"Adam learning rate, in (0, 1] (default {defaults.LearningRate})") { TypeHint = "number" },
                new("--seed", "Seed for a reproducible run (identical weights for the same seed and --threads)") { TypeHint = "number" },
                new("--threads", $"Workers that split each batch, 1-{TrainingOptions.MaxThreads} (the cores this kernel may use; default {defaults.Threads}: all of a CPU limit, else 1)") { TypeHint = "number" },
                new("--data", "Directory of the MNIST IDX files (default: EDGEAI_DATA_DIR, the image's copy, or a download)") { TypeHint = "DIR" },
                new KernelDirectiveParameter("--name", "Model name in the store (default mnist-mlp)") { TypeHint = "NAME" }
                    .AddCompletions(() => Mnist.VersionsForCompletion().Select(v => v.Manifest.Name).Distinct()),
                Magic.HelpParameter(),
            ],
        };
        Magic.Add<MnistTrainCommand>(kernel, directive, HandleAsync);
    }

    static async Task HandleAsync(MnistTrainCommand command, KernelInvocationContext context, CancellationToken cancel)
    {
        var lab = await Mnist.ForDataAsync(command.Data, cancel);
        var dataset = lab.Dataset;
        var progress = context.ShowHtml(HtmlViews.Training($"Training on {dataset.Train.Count:N0} {dataset.Name} images…"));

        var saved = await Task.Run(() => lab.TrainAndSave(command.Name, command.Options([]),
            p => progress.Update(HtmlViews.TrainingProgress(p)), cancel), cancel);
        Mnist.Use(saved.Model, saved.Manifest);

        var epochs = saved.Training.Epochs;
        context.ShowChart(IsolatedCharts.TrainingCurves(epochs.Select(e => e.Epoch).ToArray(), epochs.Select(e => e.Loss).ToArray(),
            epochs.Select(e => e.Accuracy).ToArray(), $"Training {saved.Manifest.Ref}"));
        context.ShowHtml(HtmlViews.Saved(saved.Manifest, lab.Store.Root, saved.Evaluation.Accuracy, saved.Training.Seconds));
    }
}
