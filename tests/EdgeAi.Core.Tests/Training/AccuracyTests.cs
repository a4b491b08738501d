using EdgeAi.Core.Data;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Tests.Support;
using EdgeAi.Core.Training;

namespace EdgeAi.Core.Tests.Training;

/// <summary>The report's recipe (3 epochs, batch 32, Adam 1e-3) on real images.</summary>
[Trait("Needs", "libtorch")]   // TorchSharp's native backend (on arm64, the one docker/libtorchsharp builds)
public sealed class AccuracyTests(TrainedFashionModel fashion)
{
    [Fact]
    public void FashionMnistReachesAtLeast84Percent()
    {
        var saved = fashion.Saved;
        Assert.True(saved.Evaluation.Accuracy >= 0.84, $"test accuracy {saved.Evaluation.Accuracy:F4} < 0.84");
        Assert.Equal(10_000, saved.Evaluation.Count);
        Assert.Equal(3, saved.Training.Epochs.Count);
        Assert.True(saved.Training.Epochs[2].Loss < saved.Training.Epochs[0].Loss, "loss did not fall across epochs");
        // The confusion matrix accounts for every test image, and its diagonal is the accuracy.
        long total = 0, diagonal = 0;
        for (var t = 0; t < 10; t++)
            for (var p = 0; p < 10; p++)
            { total += saved.Evaluation.Confusion[t, p]; if (t == p) diagonal += saved.Evaluation.Confusion[t, p]; }
        Assert.Equal(10_000, total);
        Assert.Equal(saved.Evaluation.Accuracy, diagonal / 10_000.0, 6);
    }

    [Fact]
    public void RealMnistDigitsReachAtLeast90Percent()
    {
        using var temp = new TempDirectory();
        var data = MnistDataset.Load(RealData.WriteNpmMnist(temp.Combine("mnist")));
        Assert.Equal(8000, data.Train.Count);
        Assert.Equal(2000, data.Test.Count);
        var result = Trainer.Train(data.Train, new TrainingOptions { Seed = 7 });
        using var model = result.Model;
        var evaluation = Evaluator.Evaluate(model, data.Test);
        Assert.True(evaluation.Accuracy >= 0.90, $"test accuracy {evaluation.Accuracy:F4} < 0.90");
        Assert.All(evaluation.PerClassAccuracy, a => Assert.InRange(a, 0.5, 1.0));
    }

    [Fact]
    public void PredictionsAreProbabilitiesThatAgreeWithEvaluation()
    {
        var predictions = fashion.Lab.Predict(fashion.Saved.Model, 0, 20);
        Assert.Equal(20, predictions.Count);
        foreach (var p in predictions)
        {
            Assert.Equal(1.0, p.Probabilities.Sum(), 3);
            Assert.Equal(p.Probabilities.Max(), p.Confidence);
            Assert.Equal(fashion.Dataset.Test.Labels[p.Index], p.TrueLabel);
        }
        var labels = Evaluator.PredictLabels(fashion.Saved.Model, fashion.Dataset.Test.Select(Enumerable.Range(0, 20).ToList()).Pixels, 20);
        Assert.Equal(labels, predictions.Select(p => p.Label));
    }
}
