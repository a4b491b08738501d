using EdgeAi.Core.Data;
using EdgeAi.Core.Tests.Support;
using EdgeAi.Core.Training;

namespace EdgeAi.Core.Tests.Training;

[Trait("Needs", "libtorch")]   // TorchSharp's native backend (on arm64, the one docker/libtorchsharp builds)
public sealed class ReproducibilityTests
{
    static byte[] Weights(TrainingResult result)
    {
        using var stream = new MemoryStream();
        TorchSharp.PyBridge.PyBridgeModuleExtensions.save_safetensors(result.Model, stream, leaveOpen: true);
        return stream.ToArray();
    }

    [Fact]
    public void SameSeedAndOneThreadGiveIdenticalWeights()
    {
        using var temp = new TempDirectory();
        var data = MnistDataset.Load(RealData.WriteNpmMnist(temp.Combine("mnist")));
        var options = new TrainingOptions { Epochs = 1, Seed = 123, Threads = 1 };
        var first = Trainer.Train(data.Train, options);
        var second = Trainer.Train(data.Train, options);
        var third = Trainer.Train(data.Train, options with { Seed = 124 });
        try
        {
            Assert.Equal(Weights(first), Weights(second));
            Assert.NotEqual(Weights(first), Weights(third));
        }
        finally
        {
            first.Model.Dispose();
            second.Model.Dispose();
            third.Model.Dispose();
        }
    }
}
