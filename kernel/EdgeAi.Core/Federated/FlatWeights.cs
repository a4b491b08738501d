using EdgeAi.Core.Model;
using TorchSharp;

namespace EdgeAi.Core.Federated;

/// <summary>A model's parameters as one float vector, in the order of <see cref="MnistMlp.Tensors"/> (each row-major):
/// the form in which strategies average them.</summary>
public static class FlatWeights
{
    public static readonly int Count = (int)MnistMlp.Tensors.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));

    public static float[] Of(MnistMlp model)
    {
        var flat = new float[Count];
        var offset = 0;
        var parameters = model.state_dict();
        foreach (var (name, _) in MnistMlp.Tensors)
        {
            var values = parameters[name].data<float>().ToArray();
            values.CopyTo(flat, offset);
            offset += values.Length;
        }
        return flat;
    }

    /// <summary>Overwrites <paramref name="model"/>'s parameters with <paramref name="flat"/>.</summary>
    public static void Load(MnistMlp model, ReadOnlySpan<float> flat)
    {
        if (flat.Length != Count)
            throw new ArgumentException($"{flat.Length} weights given; the model has {Count}", nameof(flat));
        using var noGrad = torch.no_grad();
        var parameters = model.state_dict();
        var offset = 0;
        foreach (var (name, shape) in MnistMlp.Tensors)
        {
            var count = (int)shape.Aggregate(1L, (a, b) => a * b);
            using var values = torch.tensor(flat.Slice(offset, count).ToArray(), shape);
            parameters[name].copy_(values);
            offset += count;
        }
    }
}
