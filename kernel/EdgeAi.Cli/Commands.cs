using System.CommandLine;
using System.Globalization;
using EdgeAi.Core;
using EdgeAi.Core.Data;
using EdgeAi.Core.Store;
using EdgeAi.Core.Training;

namespace EdgeAi.Cli;

/// <summary>The four verbs. Each parses options, calls <see cref="Lab"/> in the core, and prints plain text.</summary>
static class Commands
{
    static readonly Option<string?> Data = new("--data") { Description = $"Directory of the MNIST IDX files (default: ${DatasetLocator.EnvironmentVariable}, the image's copy, or a download)" };
    static readonly Option<string?> Store = new("--store") { Description = $"Weight store directory (default: ${WeightStore.EnvironmentVariable}, {WeightStore.ReportStoreRoot} when {WeightStore.ReportMountPath} is mounted, or ~/.local/share/edgeai/books)" };
    static readonly Argument<string?> Model = new("model") { Description = $"NAME or NAME@VERSION (default: {ModelRef.DefaultName}@latest)", Arity = ArgumentArity.ZeroOrOne };

    public static Command Train()
    {
        var defaults = TrainingOptions.Default;
        var epochs = new Option<int>("--epochs") { Description = $"Passes over the training set (1-{TrainingOptions.MaxEpochs})", DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Images per step", DefaultValueFactory = _ => defaults.BatchSize };
        var rate = new Option<double>("--learning-rate") { Description = "Adam learning rate (0-1]", DefaultValueFactory = _ => defaults.LearningRate };
        var seed = new Option<long?>("--seed") { Description = "Seed for reproducible runs" };
        // The help shows the default's value on this machine ([default: N]: every core of a CPU limit of its own, else 1).
        var threads = new Option<int>("--threads") { Description = $"Workers that split each batch (1-{TrainingOptions.MaxThreads}, the cores this process may use)", DefaultValueFactory = _ => defaults.Threads };
        var name = new Option<string>("--name") { Description = "Model name in the store", DefaultValueFactory = _ => ModelRef.DefaultName };
        var command = new Command("train", "Train the MLP, evaluate it on the test set and save a new version") { epochs, batch, rate, seed, threads, Data, Store, name };
        command.SetAction(async (parse, cancel) =>
        {
            var options = new TrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(rate),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                ProgressInterval = TimeSpan.FromSeconds(2),
            };
            // What does not depend on the data is checked before it is read or downloaded: a wrong option is named at
            // once, wherever the data is. The batch size is checked against the training images once they are loaded.
            options.Validate(int.MaxValue);
            ModelRef.ValidateName(parse.GetValue(name)!);
            var lab = await Lab.OpenAsync(parse.GetValue(Data), WeightStore.Open(parse.GetValue(Store)), cancel: cancel);
            var saved = lab.TrainAndSave(parse.GetValue(name)!, options, p =>
                Console.WriteLine(p.EpochCompleted
                    ? $"epoch {p.Epoch}/{p.Epochs}: loss {p.Loss:F4}, accuracy {p.Accuracy:P2}"
                    : $"  epoch {p.Epoch} batch {p.Batch}/{p.BatchesPerEpoch}: loss {p.Loss:F4}, accuracy {p.Accuracy:P2}, {p.SamplesPerSecond:F0} images/s, ETA {p.Eta:mm\\:ss}"),
                cancel);
            Console.WriteLine($"saved {saved.Manifest.Ref} to {lab.Store.Root}: test accuracy " +
                              $"{saved.Manifest.Metrics?.TestAccuracy:P2}, trained in {saved.Manifest.Training?.Seconds:F1} s");
            return 0;
        });
        return command;
    }

    public static Command Evaluate()
    {
        var command = new Command("eval", "Test accuracy, per-class accuracy and confusion matrix of a stored model") { Model, Data, Store };
        command.SetAction(async (parse, cancel) =>
        {
            var model = ModelRef.Parse(parse.GetValue(Model));   // before the data: a malformed name is named at once
            var lab = await Lab.OpenAsync(parse.GetValue(Data), WeightStore.Open(parse.GetValue(Store)), cancel: cancel);
            using var loaded = lab.Load(model);
            var result = lab.Evaluate(loaded.Model);
            Console.WriteLine($"{loaded.Manifest.Ref}: test accuracy {result.Accuracy:P2} on {result.Count} images");
            for (var c = 0; c < result.PerClassAccuracy.Length; c++)
                Console.WriteLine(double.IsNaN(result.PerClassAccuracy[c]) ? $"  class {c}: no test images" : $"  class {c}: {result.PerClassAccuracy[c]:P1}");
            Console.WriteLine("confusion matrix (rows: true label, columns: predicted label):");
            foreach (var line in ConfusionLines(result.Confusion))
                Console.WriteLine(line);
            return 0;
        });
        return command;
    }

    public static Command Predict()
    {
        var index = new Option<int>("--index") { Description = "First test image", DefaultValueFactory = _ => 0 };
        var count = new Option<int>("--count") { Description = $"Number of images (1-{Lab.MaxPredictions})", DefaultValueFactory = _ => 1 };
        var all = new Option<bool>("--all") { Description = "Every test image (instead of --index/--count)" };
        var csv = new Option<bool>("--csv") { Description = "One line per image: index,true,predicted,p0,...,p9 (probabilities round-trip exactly)" };
        var command = new Command("predict", "Predict test images with a stored model") { Model, index, count, all, csv, Data, Store };
        command.SetAction(async (parse, cancel) =>
        {
            var model = ModelRef.Parse(parse.GetValue(Model));   // before the data, as in eval
            if (!parse.GetValue(all))
                Lab.ValidateCount(parse.GetValue(count));
            var lab = await Lab.OpenAsync(parse.GetValue(Data), WeightStore.Open(parse.GetValue(Store)), cancel: cancel);
            using var loaded = lab.Load(model);
            var predictions = parse.GetValue(all) ? lab.PredictAll(loaded.Model) : lab.Predict(loaded.Model, parse.GetValue(index), parse.GetValue(count));
            if (parse.GetValue(csv))
                Console.WriteLine("index,true,predicted," + string.Join(',', Enumerable.Range(0, 10).Select(c => $"p{c}")));
            foreach (var p in predictions)
                Console.WriteLine(parse.GetValue(csv)
                    ? string.Join(',', [p.Index.ToString(CultureInfo.InvariantCulture), p.TrueLabel?.ToString(CultureInfo.InvariantCulture) ?? "",
                                        p.Label.ToString(CultureInfo.InvariantCulture), .. p.Probabilities.Select(v => v.ToString("R", CultureInfo.InvariantCulture))])
                    : $"image {p.Index}: predicted {p.Label} ({p.Confidence:P1}), true {p.TrueLabel}");
            return 0;
        });
        return command;
    }

    /// <summary>The confusion matrix as text: a header of predicted labels, then one row per true label, every column
    /// as wide as the largest count.</summary>
    internal static IEnumerable<string> ConfusionLines(long[,] confusion)
    {
        var classes = confusion.GetLength(0);
        var width = Math.Max(confusion.Cast<long>().Max().ToString(CultureInfo.InvariantCulture).Length, 1) + 1;
        string Row(string label, IEnumerable<string> cells) => $"  {label,4} " + string.Concat(cells.Select(c => c.PadLeft(width)));
        yield return Row("", Enumerable.Range(0, classes).Select(p => p.ToString(CultureInfo.InvariantCulture)));
        for (var t = 0; t < classes; t++)
            yield return Row(t.ToString(CultureInfo.InvariantCulture), Enumerable.Range(0, confusion.GetLength(1)).Select(p => confusion[t, p].ToString(CultureInfo.InvariantCulture)));
    }

    public static Command List()
    {
        var command = new Command("list", "Models and versions in the weight store") { Store };
        command.SetAction(parse =>
        {
            var store = WeightStore.Open(parse.GetValue(Store));
            var survey = store.Survey();
            if (survey.Versions.Count == 0 && survey.Problems.Count == 0)
                Console.WriteLine($"no models in {store.Root}");
            // What a manifest says is printed with control characters escaped: a name or host could carry terminal escapes.
            foreach (var v in survey.Versions)
                Console.WriteLine(Printable.Of($"{v.Manifest.Ref}{(v.IsLatest ? " (latest)" : "")}  " +
                                               $"accuracy {v.Manifest.Metrics?.TestAccuracy:P2}  {v.Manifest.CreatedUtc:u}  by {v.Manifest.Origin.Pod ?? v.Manifest.Origin.Host}"));
            foreach (var bad in survey.Problems)
                Console.WriteLine($"skipped {Printable.Of(bad.Path)}: {bad.Problem}");
            return 0;
        });
        return command;
    }
}
