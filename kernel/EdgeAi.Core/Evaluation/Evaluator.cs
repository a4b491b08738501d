using EdgeAi.Core.Data;
using EdgeAi.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeAi.Core.Evaluation;

/// <summary>Accuracy overall and per class, and the confusion matrix (rows: true label, columns: predicted).</summary>
public sealed record EvaluationResult(double Accuracy, double[] PerClassAccuracy, long[,] Confusion, int Count, double Seconds);

/// <summary>Class probabilities for one image (softmax of the logits) and the most likely class.</summary>
public sealed record Prediction(int Index, int Label, int? TrueLabel, float[] Probabilities)
{
    public float Confidence => Probabilities[Label];
}

public static class Evaluator
{
    const int Chunk = 2048;

    public static EvaluationResult Evaluate(MnistMlp model, MnistSplit test)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var predicted = PredictLabels(model, test.Pixels, test.Count);
        var confusion = new long[MnistMlp.Classes, MnistMlp.Classes];
        for (var i = 0; i < test.Count; i++)
            confusion[test.Labels[i], predicted[i]]++;

        var perClass = new double[MnistMlp.Classes];
        long correct = 0;
        for (var c = 0; c < MnistMlp.Classes; c++)
        {
            long total = 0;
            for (var p = 0; p < MnistMlp.Classes; p++)
                total += confusion[c, p];
            correct += confusion[c, c];
            perClass[c] = total == 0 ? double.NaN : (double)confusion[c, c] / total;
        }
        return new EvaluationResult(test.Count == 0 ? double.NaN : (double)correct / test.Count, perClass, confusion,
                                    test.Count, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Probabilities for the images <paramref name="indices"/> of <paramref name="split"/>.</summary>
    public static IReadOnlyList<Prediction> Predict(MnistMlp model, MnistSplit split, IReadOnlyList<int> indices)
    {
        foreach (var i in indices)
            if (i < 0 || i >= split.Count)
                throw new EdgeAiException($"Image index {i} is outside 0-{split.Count - 1}.");
        var subset = split.Select(indices);
        var probabilities = Probabilities(model, subset.Pixels, subset.Count);
        return indices.Select((index, row) =>
        {
            var p = probabilities[row];
            return new Prediction(index, Array.IndexOf(p, p.Max()), split.Labels[index], p);
        }).ToList();
    }

    /// <summary>Probabilities for raw 28x28 byte images (e.g. drawn by a user).</summary>
    public static float[][] Probabilities(MnistMlp model, byte[] pixels, int count)
    {
        var result = new float[count][];
        ForChunks(model, pixels, count, (start, logits) =>
        {
            using var p = logits.softmax(1);
            var flat = p.data<float>().ToArray();
            for (var r = 0; r < p.shape[0]; r++)
                result[start + r] = flat.AsSpan(r * MnistMlp.Classes, MnistMlp.Classes).ToArray();
        });
        return result;
    }

    public static int[] PredictLabels(MnistMlp model, byte[] pixels, int count)
    {
        var result = new int[count];
        ForChunks(model, pixels, count, (start, logits) =>
        {
            using var labels = logits.argmax(1).to_type(ScalarType.Int32);
            labels.data<int>().ToArray().CopyTo(result, start);
        });
        return result;
    }

    static void ForChunks(MnistMlp model, byte[] pixels, int count, Action<int, Tensor> visit)
    {
        if (pixels.Length != (long)count * MnistMlp.Inputs)
            throw new EdgeAiException($"{pixels.Length} pixel bytes do not make {count} images of {MnistMlp.Inputs} pixels.");
        model.eval();
        using var noGrad = torch.no_grad();
        using var all = torch.tensor(pixels, [count, MnistMlp.Inputs], ScalarType.Byte);
        for (var start = 0; start < count; start += Chunk)
        {
            using var scope = torch.NewDisposeScope();
            var size = Math.Min(Chunk, count - start);
            var x = all.narrow(0, start, size).to_type(ScalarType.Float32).div_(255f);
            visit(start, model.forward(x));
        }
    }
}
