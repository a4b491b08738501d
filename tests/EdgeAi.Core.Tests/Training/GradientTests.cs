using EdgeAi.Core.Model;
using EdgeAi.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeAi.Core.Tests.Training;

/// <summary>The training step computes the network's gradients by hand (for speed); here they are checked against
/// libtorch's autograd on the same weights and batch, with the loss and the count of correct predictions.</summary>
[Trait("Needs", "libtorch")]
public sealed class GradientTests
{
    const int Images = 300, Capacity = 64;
    static readonly Random Random = new(7);
    static readonly byte[] Pixels = RandomBytes(Images * MnistMlp.Inputs, 256);
    static readonly byte[] Labels = RandomBytes(Images, MnistMlp.Classes);

    static byte[] RandomBytes(int count, int below) => Enumerable.Range(0, count).Select(_ => (byte)Random.Next(below)).ToArray();

    [Theory]
    [InlineData(Capacity)]   // a full batch
    [InlineData(37)]         // the last, shorter batch of an epoch
    [InlineData(1)]
    public void GradientsLossAndAccuracyEqualAutograds(int batchSize)
    {
        // Shuffled, non-contiguous indices, as an epoch's order gives them.
        var batch = Enumerable.Range(0, batchSize).Select(i => (long)(i * 131 % Images)).ToArray();
        using var handWritten = new MnistMlp(seed: 3);
        using var optimizer = new FlatAdam(handWritten, learningRate: 1e-3);   // gives the parameters their gradient buffers
        using var step = new MlpStep(handWritten, Capacity);
        // Run another size first: the step keeps views per batch size, and must not mix them up.
        var otherSize = batchSize == Capacity ? 5 : Capacity;
        step.Run(Pixels, Labels, Enumerable.Range(0, otherSize).Select(i => (long)(Images - 1 - i)).ToArray());
        var (lossSum, correct) = step.Run(Pixels, Labels, batch);

        using var reference = new MnistMlp(seed: 3);
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(batch.SelectMany(i => Pixels.Skip((int)i * MnistMlp.Inputs).Take(MnistMlp.Inputs)).ToArray(),
                             [batchSize, MnistMlp.Inputs], ScalarType.Byte).to_type(ScalarType.Float32).div_(255f);
        var y = torch.tensor(batch.Select(i => (long)Labels[i]).ToArray());
        var logits = reference.forward(x);
        var loss = nn.functional.cross_entropy(logits, y);
        loss.backward();

        Assert.Equal(loss.item<float>() * batchSize, lossSum, tolerance: 1e-4 * batchSize);
        Assert.Equal(logits.argmax(1).eq(y).sum().item<long>(), correct);
        var expected = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var (name, parameter) in handWritten.named_parameters())
        {
            var ours = parameter.grad!;
            var difference = (ours - expected[name]).abs().max().item<float>();
            var scale = expected[name].abs().max().item<float>();
            Assert.True(scale > 0, $"{name}: autograd's gradient is all zero, so the comparison would prove nothing");
            Assert.True(difference <= 1e-5f * Math.Max(scale, 1), $"{name}: largest difference {difference} (gradient scale {scale})");
        }
    }

    [Fact]
    public void ALabelOutsideTheClassesIsNamed()
    {
        var labels = (byte[])Labels.Clone();
        labels[5] = 12;
        using var model = new MnistMlp(seed: 3);
        using var optimizer = new FlatAdam(model, learningRate: 1e-3);
        using var step = new MlpStep(model, Capacity);
        var error = Assert.Throws<EdgeAiException>(() => step.Run(Pixels, labels, [4, 5, 6]));
        Assert.Equal("label 12 of training image 5 is not a class 0-9.", error.Message);
    }
}
