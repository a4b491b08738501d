using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Export;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using EdgeAi.Core.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAi.Core.Tests.Export;

/// <summary>
/// The exported file, run where it will be deployed: in ONNX Runtime, on all 10,000 real Fashion-MNIST test images.
/// ONNX Runtime's load is also the graph check (it validates the model and infers shapes), as Debian 12 has no
/// python3-onnx for onnx.checker.
/// </summary>
[Trait("Needs", "libtorch")]
public sealed class OnnxExportTests(TrainedFashionModel fashion, ITestOutputHelper output) : IDisposable
{
    /// <summary>Both runtimes compute in FP32 with their own GEMM kernels (summation order differs), so the
    /// probabilities may differ by rounding only: far below anything that changes a label or a shown percentage.</summary>
    const float Tolerance = 1e-5f;

    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Onnx_runtime_gives_the_labels_and_probabilities_of_torchsharp_on_every_test_image()
    {
        var source = fashion.Saved.Manifest;
        var result = ModelExport.Export(fashion.Store, source.Ref, temp.Combine("fashion.onnx"));
        var test = fashion.Dataset.Test;

        using var loaded = fashion.Store.Load(source.Ref);
        var expected = Evaluator.Probabilities(loaded.Model, test.Pixels, test.Count);
        var actual = Run(result.Path, test.Pixels, test.Count);

        Assert.Equal(10_000, actual.Length);
        var worst = 0f;
        var disagreements = 0;
        for (var i = 0; i < test.Count; i++)
        {
            if (ArgMax(actual[i]) != ArgMax(expected[i]))
                disagreements++;
            for (var c = 0; c < MnistMlp.Classes; c++)
                worst = Math.Max(worst, Math.Abs(actual[i][c] - expected[i][c]));
        }
        output.WriteLine($"max |ONNX Runtime - TorchSharp| over {test.Count} x {MnistMlp.Classes} probabilities: {worst:E2}");
        Assert.Equal(0, disagreements);
        Assert.True(worst <= Tolerance, $"probabilities differ by up to {worst:E2}, more than {Tolerance:E0}");
        Assert.All(actual, p => Assert.InRange(p.Sum(), 1 - 1e-5f, 1 + 1e-5f));
        // What a user checks first: the deployed file scores what the store says the version scored.
        var accuracy = actual.Select((p, i) => ArgMax(p) == test.Labels[i]).Count(ok => ok) / (double)test.Count;
        Assert.Equal(source.Metrics!.TestAccuracy, accuracy, 6);
    }

    [Fact]
    public void Any_batch_size_runs_and_the_graph_declares_pixels_and_probabilities()
    {
        var result = ModelExport.Export(fashion.Store, fashion.Saved.Manifest.Ref, temp.Combine("fashion.onnx"));
        using var session = new InferenceSession(result.Path);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal(OnnxGraph.InputName, input.Key);
        Assert.Equal(typeof(float), input.Value.ElementType);
        Assert.Equal([-1, MnistMlp.Inputs], input.Value.Dimensions);
        var outputs = Assert.Single(session.OutputMetadata);
        Assert.Equal(OnnxGraph.OutputName, outputs.Key);
        Assert.Equal([-1, MnistMlp.Classes], outputs.Value.Dimensions);

        var test = fashion.Dataset.Test;
        var all = Run(result.Path, test.Pixels, test.Count);
        foreach (var (start, count) in new[] { (0, 1), (17, 3), (9_000, 1_000) })
        {
            var part = Run(result.Path, test.Pixels.AsSpan(start * MnistMlp.Inputs, count * MnistMlp.Inputs).ToArray(), count);
            Assert.Equal(count, part.Length);
            Assert.All(Enumerable.Range(0, count), i => Assert.Equal(ArgMax(all[start + i]), ArgMax(part[i])));
        }
    }

    [Fact]
    public void Metadata_names_the_stored_version_its_checksum_and_the_producer()
    {
        var result = ModelExport.Export(fashion.Store, new ModelRef(fashion.Saved.Manifest.Name, null), temp.Combine("latest.onnx"));
        var (manifest, _) = fashion.Store.ReadManifest(fashion.Saved.Manifest.Ref);   // as on disk, not as returned by the export
        using var session = new InferenceSession(result.Path);
        var metadata = session.ModelMetadata;
        Assert.Equal("EdgeAiCluster", metadata.ProducerName);
        Assert.Equal(manifest.Version, metadata.Version);
        Assert.Equal(manifest.Name, metadata.CustomMetadataMap[OnnxGraph.NameKey]);
        Assert.Equal(manifest.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), metadata.CustomMetadataMap[OnnxGraph.VersionKey]);
        Assert.Equal(manifest.WeightsSha256, metadata.CustomMetadataMap[OnnxGraph.Sha256Key]);
        Assert.Equal(3, metadata.CustomMetadataMap.Count);
        Assert.Equal(manifest.WeightsSha256, result.Source.WeightsSha256);
        Assert.Equal(new FileInfo(result.Path).Length, result.Bytes);
        Assert.Equal((OnnxGraph.IrVersion, OnnxGraph.Opset), OnnxHeader.Read(result.Path));
    }

    static float[][] Run(string path, byte[] pixels, int count)
    {
        using var session = new InferenceSession(path);
        var input = new DenseTensor<float>(pixels.Select(p => p / 255f).ToArray(), [count, MnistMlp.Inputs]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxGraph.InputName, input)]);
        var probabilities = results.Single(r => r.Name == OnnxGraph.OutputName).AsTensor<float>();
        Assert.Equal([count, MnistMlp.Classes], probabilities.Dimensions.ToArray());
        return Enumerable.Range(0, count).Select(i => Enumerable.Range(0, MnistMlp.Classes).Select(c => probabilities[i, c]).ToArray()).ToArray();
    }

    static int ArgMax(float[] p) => Array.IndexOf(p, p.Max());
}
