using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeAi.Core.Training;

/// <summary>
/// Adam (Kingma and Ba, PyTorch's formulation: eps 1e-8 added to the bias-corrected root of v) over every
/// parameter at once, in one SIMD pass. Written by hand for speed on small hardware: TorchSharp's optim.Adam
/// makes about ten passes over memory and native calls per parameter tensor, 60% of a batch-32 step here
/// (940 of 1550 us), and TorchSharp does not expose libtorch's fused CPU Adam. The parameters and their
/// gradients are views into flat buffers, so one update is one loop over 118k floats (System.Numerics
/// vectors: AVX on x64, NEON on the Pi's arm64).
/// </summary>
public sealed class FlatAdam : IDisposable
{
    readonly Tensor values, gradients, firstMoment, secondMoment;
    readonly double learningRate, beta1, beta2, epsilon;
    long steps;
    Tensor? anchor;
    float mu;

    public FlatAdam(nn.Module module, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        (this.learningRate, this.beta1, this.beta2, this.epsilon) = (learningRate, beta1, beta2, epsilon);
        var parameters = module.parameters().ToList();
        var total = parameters.Sum(p => p.numel());
        values = torch.empty(total);
        gradients = torch.zeros(total);
        firstMoment = torch.zeros(total);
        secondMoment = torch.zeros(total);

        using var noGrad = torch.no_grad();
        long offset = 0;
        foreach (var parameter in parameters)
        {
            var count = parameter.numel();
            using var value = values.narrow(0, offset, count).view(parameter.shape);
            value.copy_(parameter);
            parameter.set_(value);   // the parameter now lives in the flat buffer
            // The gradient is a view into the flat buffer too, so a step writes all gradients where Step reads them.
            using var gradient = gradients.narrow(0, offset, count).view(parameter.shape);
            parameter.grad = gradient;
            offset += count;
        }
    }

    /// <summary>Updates every parameter from its gradient (which <see cref="MlpStep"/> overwrites each step).</summary>
    public void Step()
    {
        var (stepSize, correction) = Advance();
        Update(0, Count, stepSize, correction, []);
    }

    /// <summary>
    /// FedProx's proximal term: from now on each gradient gets <paramref name="weight"/> * (w - anchor) added, the
    /// gradient of weight/2 |w - anchor|^2, which holds a node's local training near the round's global model
    /// (<paramref name="anchorWeights"/>, in the flat layout: <see cref="Federated.FlatWeights"/>).
    /// </summary>
    public void AddProximalTerm(ReadOnlySpan<float> anchorWeights, double weight)
    {
        if (anchorWeights.Length != Count)
            throw new ArgumentException($"{anchorWeights.Length} anchor weights; the parameters have {Count}", nameof(anchorWeights));
        anchor?.Dispose();
        anchor = torch.tensor(anchorWeights.ToArray());
        mu = (float)weight;
    }

    /// <summary>The number of floats in the flat buffers (every parameter's).</summary>
    internal int Count => (int)values.numel();

    /// <summary>The flat gradient buffer the parameters' gradients are views of.</summary>
    internal Tensor Gradients => gradients;

    /// <summary>Counts a step and returns its bias-corrected step size and the correction of the second moment; then
    /// <see cref="Update"/> applies it, to the whole buffer or to slices of it in parallel.</summary>
    internal (float StepSize, float Correction) Advance()
    {
        steps++;
        return ((float)(learningRate / (1 - Math.Pow(beta1, steps))), (float)(1 / Math.Sqrt(1 - Math.Pow(beta2, steps))));
    }

    /// <summary>
    /// Adam on the floats [<paramref name="start"/>, <paramref name="end"/>), the gradient being this optimizer's plus
    /// each of <paramref name="more"/> (other workers' gradients of the same step, in the same layout), summed in order,
    /// so a fixed number of workers always gives the same result.
    /// </summary>
    internal void Update(int start, int end, float stepSize, float correction, ReadOnlySpan<Tensor> more)
    {
        var p = MemoryMarshal.Cast<byte, float>(values.bytes)[start..end];
        var g = MemoryMarshal.Cast<byte, float>(gradients.bytes)[start..end];
        var m = MemoryMarshal.Cast<byte, float>(firstMoment.bytes)[start..end];
        var v = MemoryMarshal.Cast<byte, float>(secondMoment.bytes)[start..end];
        float b1 = (float)beta1, b2 = (float)beta2, eps = (float)epsilon;
        // The other workers' gradients are added into this slice first: one more pass over it, in cache, which keeps
        // the update loop below the same for one worker and for many.
        foreach (var other in more)
        {
            var o = MemoryMarshal.Cast<byte, float>(other.bytes)[start..end];
            AddInto(g, o);
        }
        if (anchor is not null && mu != 0)
            AddProximal(g, p, MemoryMarshal.Cast<byte, float>(anchor.bytes)[start..end], mu);

        // Loads and stores through references: slicing a span per vector cost a bounds check and a span each
        // (seven per vector), 15% of a batch-32 step; the loop condition keeps every access in bounds.
        ref var p0 = ref MemoryMarshal.GetReference(p);
        ref var g0 = ref MemoryMarshal.GetReference(g);
        ref var m0 = ref MemoryMarshal.GetReference(m);
        ref var v0 = ref MemoryMarshal.GetReference(v);
        var width = Vector<float>.Count;
        var i = 0;
        for (; i <= p.Length - width; i += width)
        {
            var at = (nuint)i;
            var gi = Vector.LoadUnsafe(ref g0, at);
            var mi = FlushTiny(Vector.LoadUnsafe(ref m0, at) * b1 + gi * (1 - b1));
            var vi = FlushTiny(Vector.LoadUnsafe(ref v0, at) * b2 + gi * gi * (1 - b2));
            var pi = Vector.LoadUnsafe(ref p0, at) - stepSize * mi / (Vector.SquareRoot(vi) * correction + new Vector<float>(eps));
            mi.StoreUnsafe(ref m0, at);
            vi.StoreUnsafe(ref v0, at);
            pi.StoreUnsafe(ref p0, at);
        }
        for (; i < p.Length; i++)
        {
            m[i] = FlushTiny(m[i] * b1 + g[i] * (1 - b1));
            v[i] = FlushTiny(v[i] * b2 + g[i] * g[i] * (1 - b2));
            p[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) * correction + eps);
        }
    }

    static void AddInto(Span<float> into, ReadOnlySpan<float> add)
    {
        ref var a = ref MemoryMarshal.GetReference(into);
        ref var b = ref MemoryMarshal.GetReference(add);
        var i = 0;
        for (; i <= into.Length - Vector<float>.Count; i += Vector<float>.Count)
            (Vector.LoadUnsafe(ref a, (nuint)i) + Vector.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref a, (nuint)i);
        for (; i < into.Length; i++)
            into[i] += add[i];
    }

    static void AddProximal(Span<float> gradient, ReadOnlySpan<float> weights, ReadOnlySpan<float> anchorWeights, float weight)
    {
        ref var g = ref MemoryMarshal.GetReference(gradient);
        ref var w = ref MemoryMarshal.GetReference(weights);
        ref var a = ref MemoryMarshal.GetReference(anchorWeights);
        var i = 0;
        for (; i <= gradient.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var at = (nuint)i;
            (Vector.LoadUnsafe(ref g, at) + weight * (Vector.LoadUnsafe(ref w, at) - Vector.LoadUnsafe(ref a, at))).StoreUnsafe(ref g, at);
        }
        for (; i < gradient.Length; i++)
            gradient[i] += weight * (weights[i] - anchorWeights[i]);
    }

    /// <summary>
    /// Moments of weights whose gradient stays zero (MNIST's always-black border pixels) decay by beta each
    /// step into subnormal floats, which x86 computes in microcode: it made this loop 3x slower by the second
    /// epoch. libtorch's set_flush_denormal is not exposed by TorchSharp, so values under 1e-30 become 0;
    /// next to eps = 1e-8 that changes an update by less than 1e-22.
    /// </summary>
    const float Tiny = 1e-30f;

    static Vector<float> FlushTiny(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.GreaterThanOrEqual(Vector.Abs(x), new Vector<float>(Tiny)), x, Vector<float>.Zero);

    static float FlushTiny(float x) => MathF.Abs(x) >= Tiny ? x : 0;

    public void Dispose()
    {
        values.Dispose();
        gradients.Dispose();
        firstMoment.Dispose();
        secondMoment.Dispose();
        anchor?.Dispose();
    }
}
