using System.Numerics;
using System.Runtime.InteropServices;
using EdgeAi.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeAi.Core.Training;

/// <summary>
/// One training step of <see cref="MnistMlp"/> with cross-entropy loss: the forward pass, the loss, and the
/// gradients of every parameter, written into the parameters' gradient buffers (those of <see cref="FlatAdam"/>).
/// The eight matrix products run in libtorch (its BLAS: MKL on x64), straight into preallocated buffers; everything
/// between them (pixels to floats, bias and ReLU, softmax and loss, ReLU's backward and the bias gradients) is one
/// SIMD pass each, here. Written by hand for speed on small hardware: through autograd a batch-128 step made about
/// 40 libtorch calls, each with its dispatch, allocation and graph bookkeeping, and together they cost more than
/// the products themselves (docs/performance.md has the figures). The network is fixed
/// (<see cref="MnistMlp.ArchitectureName"/>), and GradientTests checks these gradients against autograd's.
/// </summary>
public sealed class MlpStep : IDisposable
{
    readonly int capacity;
    readonly Tensor weight1T, weight2T, weight3T;       // transposed views of the layers' weights
    readonly Tensor weight2, weight3;
    readonly Tensor bias1, bias2, bias3;
    readonly Tensor weight1Grad, weight2Grad, weight3Grad, bias1Grad, bias2Grad, bias3Grad;
    readonly Tensor pixels, hidden1, hidden2, logits, logitsGrad, hidden2Grad, hidden1Grad;   // [capacity, width]
    readonly Dictionary<int, Rows> rowsBySize = [];

    /// <summary>Buffers for batches of up to <paramref name="capacity"/> images. The gradients go to the parameters'
    /// gradient buffers (which <see cref="FlatAdam"/> gives them), or, with <paramref name="gradients"/>, into that flat
    /// buffer laid out as FlatAdam's (the parameters in order, each row-major): one per worker of a
    /// <see cref="ParallelStep"/>.</summary>
    public MlpStep(MnistMlp model, int capacity, Tensor? gradients = null)
    {
        this.capacity = capacity;
        var (input, hidden, output) = model.Layers;
        weight2 = hidden.weight!;
        weight3 = output.weight!;
        weight1T = input.weight!.t();
        weight2T = weight2.t();
        weight3T = weight3.t();
        (bias1, bias2, bias3) = (input.bias!, hidden.bias!, output.bias!);
        var offset = 0L;
        Tensor GradientOf(Tensor parameter)
        {
            if (gradients is null)
                return parameter.grad ?? throw new InvalidOperationException("the parameter has no gradient buffer");
            var view = gradients.narrow(0, offset, parameter.numel()).view(parameter.shape);
            offset += parameter.numel();
            return view;
        }
        weight1Grad = GradientOf(input.weight!);
        bias1Grad = GradientOf(bias1);
        weight2Grad = GradientOf(weight2);
        bias2Grad = GradientOf(bias2);
        weight3Grad = GradientOf(weight3);
        bias3Grad = GradientOf(bias3);
        pixels = torch.empty(capacity, MnistMlp.Inputs);
        hidden1 = torch.empty(capacity, MnistMlp.Hidden);
        hidden2 = torch.empty(capacity, MnistMlp.Hidden);
        logits = torch.empty(capacity, MnistMlp.Classes);
        logitsGrad = torch.empty(capacity, MnistMlp.Classes);
        hidden2Grad = torch.empty(capacity, MnistMlp.Hidden);
        hidden1Grad = torch.empty(capacity, MnistMlp.Hidden);
    }

    /// <summary>
    /// Forward and backward for one batch: the images at <paramref name="batch"/>'s indices in <paramref name="images"/>
    /// (784 bytes each, 0-255) with their <paramref name="labels"/>. Overwrites every parameter's gradient with the
    /// gradient of the batch's mean cross-entropy, and returns the batch's summed loss and its number of correct
    /// predictions. Reading the images through the indices shuffles without copying the training set each epoch.
    /// With <paramref name="meanOver"/>, the loss is averaged over that many images instead (a whole batch of which this
    /// is a part): each worker of a <see cref="ParallelStep"/> runs one part, and the parts' gradients add up to the batch's.
    /// </summary>
    public (double LossSum, int Correct) Run(ReadOnlySpan<byte> images, ReadOnlySpan<byte> labels, ReadOnlySpan<long> batch, int meanOver = 0)
    {
        var n = batch.Length;
        if (n < 1 || n > capacity)
            throw new ArgumentException($"a batch of {n} images is outside 1-{capacity}", nameof(batch));
        Span<byte> batchLabels = stackalloc byte[n];
        for (var i = 0; i < n; i++)
        {
            var label = batchLabels[i] = labels[checked((int)batch[i])];
            if (label >= MnistMlp.Classes)
                throw new EdgeAiException($"label {label} of training image {batch[i]} is not a class 0-{MnistMlp.Classes - 1}.");
        }
        var rows = RowsFor(n);
        using var noGrad = torch.no_grad();   // the products write buffers of their own; no graph to record

        GatherUnitFloats(images, batch, Floats(rows.Pixels));
        rows.Hidden1.addmm_(rows.Pixels, weight1T, beta: 0);
        AddBiasRelu(Floats(rows.Hidden1), Floats(bias1));
        rows.Hidden2.addmm_(rows.Hidden1, weight2T, beta: 0);
        AddBiasRelu(Floats(rows.Hidden2), Floats(bias2));
        rows.Logits.addmm_(rows.Hidden2, weight3T, beta: 0);
        var result = SoftmaxCrossEntropy(Floats(rows.Logits), Floats(bias3), batchLabels, Floats(rows.LogitsGrad), Floats(bias3Grad),
                                         meanOver > 0 ? meanOver : n);

        weight3Grad.addmm_(rows.LogitsGradT, rows.Hidden2, beta: 0);
        rows.Hidden2Grad.addmm_(rows.LogitsGrad, weight3, beta: 0);
        ReluBackward(Floats(rows.Hidden2Grad), Floats(rows.Hidden2), Floats(bias2Grad));
        weight2Grad.addmm_(rows.Hidden2GradT, rows.Hidden1, beta: 0);
        rows.Hidden1Grad.addmm_(rows.Hidden2Grad, weight2, beta: 0);
        ReluBackward(Floats(rows.Hidden1Grad), Floats(rows.Hidden1), Floats(bias1Grad));
        weight1Grad.addmm_(rows.Hidden1GradT, rows.Pixels, beta: 0);
        return result;
    }

    /// <summary>The first n rows of each buffer, and the transposes the backward products read; made once per batch
    /// size (an epoch has at most two: the full batch and the remainder).</summary>
    sealed record Rows(Tensor Pixels, Tensor Hidden1, Tensor Hidden2, Tensor Logits, Tensor LogitsGrad, Tensor LogitsGradT,
                       Tensor Hidden2Grad, Tensor Hidden2GradT, Tensor Hidden1Grad, Tensor Hidden1GradT) : IDisposable
    {
        public void Dispose()
        {
            foreach (var view in new[] { Pixels, Hidden1, Hidden2, Logits, LogitsGrad, LogitsGradT, Hidden2Grad, Hidden2GradT, Hidden1Grad, Hidden1GradT })
                view.Dispose();
        }
    }

    Rows RowsFor(int n)
    {
        if (rowsBySize.TryGetValue(n, out var rows))
            return rows;
        Tensor First(Tensor buffer) => buffer.narrow(0, 0, n);
        var logitsGradRows = First(logitsGrad);
        var hidden2GradRows = First(hidden2Grad);
        var hidden1GradRows = First(hidden1Grad);
        rows = new Rows(First(pixels), First(hidden1), First(hidden2), First(logits), logitsGradRows, logitsGradRows.t(),
                        hidden2GradRows, hidden2GradRows.t(), hidden1GradRows, hidden1GradRows.t());
        rowsBySize[n] = rows;
        return rows;
    }

    static Span<float> Floats(Tensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.bytes);

    /// <summary>The images at the given indices, bytes 0-255 to floats 0-1 (divided by 255, as the evaluator does).</summary>
    static void GatherUnitFloats(ReadOnlySpan<byte> images, ReadOnlySpan<long> indices, Span<float> target)
    {
        const int pixels = MnistMlp.Inputs;
        var quarter = Vector<float>.Count;
        var scale = new Vector<float>(255f);
        for (var r = 0; r < indices.Length; r++)
        {
            var source = images.Slice(checked((int)indices[r] * pixels), pixels);   // bounds-checked once per image
            var row = target.Slice(r * pixels, pixels);
            ref var from = ref MemoryMarshal.GetReference(source);
            ref var to = ref MemoryMarshal.GetReference(row);
            var i = 0;
            for (; i <= pixels - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref from, (nuint)i), out var low, out var high);
                Vector.Widen(low, out var a, out var b);
                Vector.Widen(high, out var c, out var d);
                (Vector.ConvertToSingle(a) / scale).StoreUnsafe(ref to, (nuint)i);
                (Vector.ConvertToSingle(b) / scale).StoreUnsafe(ref to, (nuint)(i + quarter));
                (Vector.ConvertToSingle(c) / scale).StoreUnsafe(ref to, (nuint)(i + 2 * quarter));
                (Vector.ConvertToSingle(d) / scale).StoreUnsafe(ref to, (nuint)(i + 3 * quarter));
            }
            for (; i < pixels; i++)
                row[i] = source[i] / 255f;
        }
    }

    /// <summary>Each row += bias, then ReLU, in place. Rows are 128 floats, a whole number of vectors on any
    /// hardware .NET runs on (4 to 16 floats), so there is no tail.</summary>
    static void AddBiasRelu(Span<float> rows, ReadOnlySpan<float> bias)
    {
        ref var bias0 = ref MemoryMarshal.GetReference(bias);
        for (var start = 0; start < rows.Length; start += bias.Length)
        {
            ref var row = ref MemoryMarshal.GetReference(rows.Slice(start, bias.Length));
            for (var j = 0; j < bias.Length; j += Vector<float>.Count)
            {
                var sum = Vector.LoadUnsafe(ref row, (nuint)j) + Vector.LoadUnsafe(ref bias0, (nuint)j);
                Vector.Max(sum, Vector<float>.Zero).StoreUnsafe(ref row, (nuint)j);
            }
        }
    }

    /// <summary>
    /// Adds the output bias to each row of logits, then per row: the cross-entropy of its label (summed into the
    /// loss, through log-sum-exp so that large logits cannot overflow), whether the largest logit is the label, and
    /// the loss gradient (softmax minus the label's one-hot, over n for the batch mean), summed per class into the
    /// bias gradient.
    /// </summary>
    static (double LossSum, int Correct) SoftmaxCrossEntropy(Span<float> logits, ReadOnlySpan<float> bias, ReadOnlySpan<byte> labels,
                                                              Span<float> gradient, Span<float> biasGradient, int meanOver)
    {
        const int classes = MnistMlp.Classes;
        var n = labels.Length;
        var loss = 0.0;
        var correct = 0;
        Span<float> biasSum = stackalloc float[classes];
        biasSum.Clear();
        for (var r = 0; r < n; r++)
        {
            var z = logits.Slice(r * classes, classes);
            var g = gradient.Slice(r * classes, classes);
            var best = 0;
            for (var j = 0; j < classes; j++)
            {
                z[j] += bias[j];
                if (z[j] > z[best])
                    best = j;
            }
            var max = z[best];
            var total = 0f;
            for (var j = 0; j < classes; j++)
                total += g[j] = MathF.Exp(z[j] - max);
            var label = labels[r];
            loss += max + MathF.Log(total) - z[label];
            if (best == label)
                correct++;
            for (var j = 0; j < classes; j++)
            {
                g[j] = (g[j] / total - (j == label ? 1 : 0)) / meanOver;
                biasSum[j] += g[j];
            }
        }
        biasSum.CopyTo(biasGradient);
        return (loss, correct);
    }

    /// <summary>ReLU's backward in place (the gradient passes where the activation is positive), and the bias
    /// gradient: the sum of those rows.</summary>
    static void ReluBackward(Span<float> gradient, ReadOnlySpan<float> activation, Span<float> biasGradient)
    {
        var width = biasGradient.Length;
        biasGradient.Clear();
        ref var sum0 = ref MemoryMarshal.GetReference(biasGradient);
        for (var start = 0; start < gradient.Length; start += width)
        {
            ref var g = ref MemoryMarshal.GetReference(gradient.Slice(start, width));
            ref var a = ref MemoryMarshal.GetReference(activation.Slice(start, width));
            for (var j = 0; j < width; j += Vector<float>.Count)
            {
                var at = (nuint)j;
                var passed = Vector.ConditionalSelect(Vector.GreaterThan(Vector.LoadUnsafe(ref a, at), Vector<float>.Zero),
                                                      Vector.LoadUnsafe(ref g, at), Vector<float>.Zero);
                passed.StoreUnsafe(ref g, at);
                (Vector.LoadUnsafe(ref sum0, at) + passed).StoreUnsafe(ref sum0, at);
            }
        }
    }

    public void Dispose()
    {
        foreach (var rows in rowsBySize.Values)
            rows.Dispose();
        foreach (var tensor in new[] { weight1T, weight2T, weight3T, weight1Grad, weight2Grad, weight3Grad, bias1Grad, bias2Grad, bias3Grad, pixels, hidden1, hidden2, logits, logitsGrad, hidden2Grad, hidden1Grad })
            tensor.Dispose();
    }
}
