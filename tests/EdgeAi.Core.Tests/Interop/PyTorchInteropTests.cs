using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Store;
using EdgeAi.Core.Tests.Support;

namespace EdgeAi.Core.Tests.Interop;

/// <summary>Our safetensors against a real peer: Debian's PyTorch, both directions, on all 10,000 test images.</summary>
[Trait("Needs", "libtorch")]
[Trait("Needs", "python-torch")]   // Debian's python3-torch as the peer (not installed in the arm64 group's image)
public sealed class PyTorchInteropTests(TrainedFashionModel fashion)
{
    static readonly string Peer = Path.Combine(AppContext.BaseDirectory, "Interop", "pytorch_peer.py");

    static int[] ReadLabels(string path) => File.ReadAllLines(path).Where(l => l.Length > 0).Select(int.Parse).ToArray();

    [Fact]
    public void PyTorchReadsOurWeightsAndPredictsTheSameLabels()
    {
        var saved = fashion.Saved;
        var (_, dir) = fashion.Store.ReadManifest(new ModelRef("fashion", saved.Manifest.Version));
        var output = fashion.TempPath("pytorch-labels.txt");
        Processes.Run(Processes.Python, Peer, "predict", Path.Combine(dir, "weights.safetensors"), RealData.FashionMnist, output);

        var theirs = ReadLabels(output);
        var test = fashion.Dataset.Test;
        var ours = Evaluator.PredictLabels(saved.Model, test.Pixels, test.Count);
        Assert.Equal(10_000, theirs.Length);
        Assert.Equal(ours, theirs);
    }

    [Fact]
    public void WeightsWrittenByPyTorchLoadAndPredictTheSameLabels()
    {
        var weights = fashion.TempPath("from-pytorch.safetensors");
        var output = fashion.TempPath("pytorch-export-labels.txt");
        Processes.Run(Processes.Python, Peer, "export", "31", weights, RealData.FashionMnist, output);

        var store = new WeightStore(fashion.TempPath("imported-books"));
        store.Import("from-pytorch", weights);
        using var loaded = store.Load(ModelRef.Parse("from-pytorch"));
        var test = fashion.Dataset.Test;
        Assert.Equal(ReadLabels(output), Evaluator.PredictLabels(loaded.Model, test.Pixels, test.Count));
    }
}
