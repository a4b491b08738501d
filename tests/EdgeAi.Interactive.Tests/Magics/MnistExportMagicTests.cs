using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Store;
using EdgeAi.Interactive.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAi.Interactive.Tests.Magics;

/// <summary>#!mnist-export in a notebook: the file the cell names, a one-line summary, and clear errors that leave the
/// kernel running and no file behind.</summary>
[Trait("Needs", "libtorch")]
public sealed class MnistExportMagicTests
{
    [Fact]
    public async Task Export_writes_the_trained_version_as_onnx_that_onnx_runtime_runs_like_the_kernel()
    {
        await using var session = await KernelSession.StartAsync();
        using var folder = new TempDirectory();
        Assert.True((await session.RunAsync("#!mnist-train --epochs 1 --seed 1")).Succeeded);
        Assert.True((await session.RunAsync("#!mnist-train --epochs 1 --seed 2")).Succeeded);
        Assert.True((await session.RunAsync("#!mnist-load mnist-mlp@1")).Succeeded);

        var path = folder.Combine("digits.onnx");
        var cell = await session.RunAsync($"#!mnist-export --out {path}");
        Assert.True(cell.Succeeded, cell.Error);
        // Without a name, the version this kernel loaded is exported, not the store's latest.
        var manifest = new WeightStore(session.Store).ReadManifest(ModelRef.Parse("mnist-mlp@1")).Manifest;
        var summary = Assert.Single(cell.Html);
        Assert.Contains("mnist-mlp@v1", summary);
        Assert.Contains(path, summary);
        Assert.Contains($"{new FileInfo(path).Length:N0} bytes", summary);
        Assert.Contains("ONNX opset 17", summary);
        Assert.Contains(manifest.WeightsSha256, summary);

        using var onnx = new InferenceSession(path);
        Assert.Equal(manifest.WeightsSha256, onnx.ModelMetadata.CustomMetadataMap["edgeai.source.weights_sha256"]);
        // The 2,000 real test digits the kernel uses: ONNX Runtime labels them as the kernel's model does.
        var test = (await Mnist.LabAsync()).Dataset.Test;
        var expected = Evaluator.PredictLabels(Mnist.Model!, test.Pixels, test.Count);
        var input = new DenseTensor<float>(test.Pixels.Select(p => p / 255f).ToArray(), [test.Count, 784]);
        using var results = onnx.Run([NamedOnnxValue.CreateFromTensor("pixels", input)]);
        var probabilities = results.Single().AsTensor<float>();
        var labels = Enumerable.Range(0, test.Count).Select(i => Enumerable.Range(0, 10).MaxBy(c => probabilities[i, c])).ToArray();
        Assert.Equal(expected, labels);
    }

    [Theory]
    [InlineData("#!mnist-export --out FOLDER/m.tflite --format tflite", "Format 'tflite' is not supported: use onnx.")]
    [InlineData("#!mnist-export nosuch --out FOLDER/m.onnx", "No model named 'nosuch'")]
    [InlineData("#!mnist-export mnist-mlp@v7 --out FOLDER/m.onnx", "Model 'mnist-mlp' has no version 7")]
    [InlineData("#!mnist-export", "--out is required: name the file to write, e.g. --out mnist.onnx.")]
    [InlineData("#!mnist-export --out FOLDER", "--out FOLDER is a folder; name a file in it")]
    [InlineData("#!mnist-export --out FOLDER/kept.onnx", "--out FOLDER/kept.onnx exists; pass --force to replace it")]
    public async Task Bad_input_is_a_clear_message_no_file_is_written_and_the_kernel_goes_on(string magic, string message)
    {
        await using var session = await KernelSession.StartAsync();
        using var folder = new TempDirectory();
        Assert.True((await session.RunAsync("#!mnist-train --epochs 1 --seed 1")).Succeeded);
        File.WriteAllText(folder.Combine("kept.onnx"), "a deployed model");

        var cell = await session.RunAsync(magic.Replace("FOLDER", folder.Path));
        Assert.False(cell.Succeeded);
        Assert.Contains(message.Replace("FOLDER", folder.Path), cell.Error);
        Assert.DoesNotContain("   at ", cell.Error);
        Assert.Equal(["kept.onnx"], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName));
        Assert.Equal("a deployed model", File.ReadAllText(folder.Combine("kept.onnx")));
        Assert.Equal("2", (await session.RunAsync("1 + 1")).ReturnValue);
    }

    [Fact]
    public async Task Completions_offer_the_formats_and_the_stored_versions()
    {
        await using var session = await KernelSession.StartAsync();
        Assert.True((await session.RunAsync("#!mnist-train --epochs 1 --seed 1")).Succeeded);
        Assert.Contains(await CompleteAsync(session, "#!mnist-export --format "), c => c.Contains("onnx"));
        Assert.Contains(await CompleteAsync(session, "#!mnist-export "), c => c.Contains("mnist-mlp@v1"));
    }

    static async Task<IReadOnlyList<string>> CompleteAsync(KernelSession session, string code)
    {
        var result = await session.Kernel.SendAsync(new Microsoft.DotNet.Interactive.Commands.RequestCompletions(code, new Microsoft.DotNet.Interactive.LinePosition(0, code.Length)));
        return result.Events.OfType<Microsoft.DotNet.Interactive.Events.CompletionsProduced>().SelectMany(c => c.Completions).Select(c => c.InsertText ?? c.DisplayText).ToList();
    }

    [Fact]
    public async Task Force_replaces_an_existing_file_with_the_named_version()
    {
        await using var session = await KernelSession.StartAsync();
        using var folder = new TempDirectory();
        Assert.True((await session.RunAsync("#!mnist-train --epochs 1 --seed 1")).Succeeded);
        Assert.True((await session.RunAsync("#!mnist-train --epochs 1 --seed 2")).Succeeded);
        var path = folder.Combine("m.onnx");
        Assert.True((await session.RunAsync($"#!mnist-export mnist-mlp@1 --out {path}")).Succeeded);
        var cell = await session.RunAsync($"#!mnist-export mnist-mlp@2 --out {path} --force");
        Assert.True(cell.Succeeded, cell.Error);
        using var onnx = new InferenceSession(path);
        Assert.Equal("2", onnx.ModelMetadata.CustomMetadataMap["edgeai.source.version"]);
    }
}
