using EdgeAi.Core.Data;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using EdgeAi.Core.Training;

namespace EdgeAi.Core;

/// <summary>What one training run produced and where it was saved.</summary>
public sealed record SavedModel(MnistMlp Model, ModelManifest Manifest, TrainingResult Training, EvaluationResult Evaluation);

/// <summary>
/// The report's workflow in one place, for every front end (notebook magics, CLI, Job, scripts): train, evaluate
/// and save to the shared store; load and predict anywhere. A lab always has its data: <see cref="OpenAsync"/>
/// reads (or downloads) it once.
/// </summary>
public sealed class Lab
{
    public const int MaxPredictions = 100;

    Lab(WeightStore store, MnistDataset dataset) => (Store, Dataset) = (store, dataset);

    public WeightStore Store { get; }
    public MnistDataset Dataset { get; }

    /// <summary>A lab over <paramref name="store"/> (default: <see cref="WeightStore.DefaultRoot"/>) with the data of
    /// <paramref name="dataDirectory"/> (default: what <see cref="DatasetLocator"/> finds).</summary>
    public static async Task<Lab> OpenAsync(string? dataDirectory = null, WeightStore? store = null, DatasetLocator? locator = null,
                                            CancellationToken cancel = default) =>
        new(store ?? WeightStore.Open(), await (locator ?? new DatasetLocator()).LoadAsync(dataDirectory, cancel));

    /// <summary>Trains, evaluates on the test split, then saves. Cancelled or failed runs save nothing.</summary>
    public SavedModel TrainAndSave(string name, TrainingOptions options, Action<TrainingProgress>? progress = null,
                                   CancellationToken cancel = default)
    {
        options.Validate(Dataset.Train.Count);
        Store.RequireWritable(name);
        var training = Trainer.Train(Dataset.Train, options, progress, cancel);
        try
        {
            cancel.ThrowIfCancellationRequested();
            var evaluation = Evaluator.Evaluate(training.Model, Dataset.Test);
            var manifest = Store.Save(name, training.Model, new Provenance(
                new DatasetInfo(Dataset.Name, Dataset.Train.Count, Dataset.Test.Count),
                new TrainingInfo(options.Epochs, options.BatchSize, options.LearningRate, options.Seed, options.Threads,
                    training.Seconds, training.Epochs),
                MetricsInfo.From(evaluation.Accuracy, evaluation.PerClassAccuracy)));
            return new SavedModel(training.Model, manifest, training, evaluation);
        }
        catch
        {
            training.Model.Dispose();
            throw;
        }
    }

    public LoadedModel Load(ModelRef reference) => Store.Load(reference);

    public EvaluationResult Evaluate(MnistMlp model) => Evaluator.Evaluate(model, Dataset.Test);

    /// <summary>Predictions for test images <paramref name="index"/> .. index+count-1.</summary>
    public IReadOnlyList<Prediction> Predict(MnistMlp model, int index, int count)
    {
        ValidateCount(count);
        var last = Dataset.Test.Count - 1;
        if (index < 0 || index > last)
            throw new EdgeAiException($"Index {index} is outside 0-{last} (the test set has {Dataset.Test.Count} images).");
        if (index + count - 1 > last)
            throw new EdgeAiException($"Index {index} with count {count} runs past the last test image ({last}); use a count of at most {last - index + 1}.");
        return Evaluator.Predict(model, Dataset.Test, Enumerable.Range(index, count).ToList());
    }

    /// <summary>Throws unless <paramref name="count"/> is a number of images <see cref="Predict"/> shows; it does not
    /// depend on the data, so a front end can check it before the data is read.</summary>
    public static void ValidateCount(int count)
    {
        if (count is < 1 or > MaxPredictions)
            throw new EdgeAiException($"Count {count} is outside 1-{MaxPredictions}.");
    }

    /// <summary>Predictions for every test image (for exports and comparisons; no display limit).</summary>
    public IReadOnlyList<Prediction> PredictAll(MnistMlp model) =>
        Evaluator.Predict(model, Dataset.Test, Enumerable.Range(0, Dataset.Test.Count).ToList());
}
