using EdgeAi.Core.Export;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAi.Core.Tests.Export;

/// <summary>An export that cannot be done says why, naming the value, and leaves nothing behind: no file, no
/// half-written file, no temp file, and an existing file as it was.</summary>
[Trait("Needs", "libtorch")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FailedExportTests : IDisposable
{
    readonly TempDirectory temp = new();
    readonly WeightStore store;
    readonly string folder;
    string? mounted;

    public FailedExportTests()
    {
        store = new WeightStore(temp.Combine("books"));
        using (var model = new MnistMlp(seed: 1))
            store.Save("mnist-mlp", model);
        using (var model = new MnistMlp(seed: 2))
            store.Save("mnist-mlp", model);
        folder = Directory.CreateDirectory(temp.Combine("out")).FullName;
    }

    [Fact]
    public void An_existing_file_is_kept_unless_forced_and_then_replaced_whole()
    {
        var path = Path.Combine(folder, "model.onnx");
        ModelExport.Export(store, ModelRef.Parse("mnist-mlp@1"), path);
        var first = File.ReadAllBytes(path);

        var e = Assert.Throws<EdgeAiException>(() => ModelExport.Export(store, ModelRef.Parse("mnist-mlp@2"), path));
        Assert.Contains($"--out {path} exists; pass --force", e.Message);
        Assert.Equal(first, File.ReadAllBytes(path));

        ModelExport.Export(store, ModelRef.Parse("mnist-mlp@2"), path, force: true);
        using var session = new InferenceSession(path);
        Assert.Equal("2", session.ModelMetadata.CustomMetadataMap[OnnxGraph.VersionKey]);
        Assert.Equal(["model.onnx"], Directory.GetFiles(folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Exports_racing_for_one_name_give_it_to_one_and_tell_the_others()
    {
        var path = Path.Combine(folder, "model.onnx");
        var outcomes = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8).Select(i =>
        {
            try
            {
                return ModelExport.Export(store, ModelRef.Parse($"mnist-mlp@{1 + i % 2}"), path).Source.Version.ToString();
            }
            catch (EdgeAiException e)
            {
                return e.Message;
            }
        }).ToList();
        var winner = Assert.Single(outcomes, o => o is "1" or "2");
        Assert.All(outcomes.Where(o => o != winner), o => Assert.Contains($"--out {path} exists; pass --force", o));
        using var session = new InferenceSession(path);
        Assert.Equal(winner, session.ModelMetadata.CustomMetadataMap[OnnxGraph.VersionKey]);
        Assert.Equal(["model.onnx"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [Fact]
    public void A_missing_model_or_version_is_named_and_nothing_is_written()
    {
        var e = Assert.Throws<EdgeAiException>(() => ModelExport.Export(store, ModelRef.Parse("nosuch"), Path.Combine(folder, "a.onnx")));
        Assert.Contains("No model named 'nosuch'", e.Message);
        Assert.Contains("Models there: mnist-mlp", e.Message);
        e = Assert.Throws<EdgeAiException>(() => ModelExport.Export(store, ModelRef.Parse("mnist-mlp@9"), Path.Combine(folder, "a.onnx")));
        Assert.Contains("has no version 9", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void Weights_that_fail_their_checksum_are_not_exported()
    {
        var weights = Path.Combine(store.Root, "mnist-mlp", "v000002", ModelManifest.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 1;
        File.WriteAllBytes(weights, bytes);
        var e = Assert.Throws<EdgeAiException>(() => ModelExport.Export(store, ModelRef.Parse("mnist-mlp@2"), Path.Combine(folder, "a.onnx")));
        Assert.Contains("is corrupt or was tampered with", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void An_out_path_that_is_a_folder_or_in_no_folder_is_refused_with_the_path()
    {
        var e = Assert.Throws<EdgeAiException>(() => ModelExport.Export(store, ModelRef.Parse("mnist-mlp"), folder));
        Assert.Contains($"--out {folder} is a folder; name a file in it, e.g. --out {Path.Combine(folder, "mnist.onnx")}", e.Message);
        var nowhere = Path.Combine(folder, "no", "such", "m.onnx");
        e = Assert.Throws<EdgeAiException>(() => ModelExport.Export(store, ModelRef.Parse("mnist-mlp"), nowhere));
        Assert.Contains($"the folder {Path.Combine(folder, "no", "such")} does not exist", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void A_format_other_than_onnx_is_named_with_what_is_allowed()
    {
        var e = Assert.Throws<EdgeAiException>(() => ModelExport.ParseFormat("tflite"));
        Assert.Equal("Format 'tflite' is not supported: use onnx.", e.Message);
        Assert.Equal(ExportFormat.Onnx, ModelExport.ParseFormat("ONNX"));
    }

    /// <summary>A read-only folder, and a full one: the write fails part-way there, and no partial file stays.
    /// Root writes through permissions, so both are tmpfs mounts of their own (CI runs as root).</summary>
    [Theory]
    [InlineData("ro,size=1m")]
    [InlineData("size=64k")]
    public void A_folder_that_cannot_take_the_file_gets_an_error_and_no_partial_file(string options)
    {
        if (Files.FileStatus.Me.User != 0)
            Assert.Skip("a mount of its own needs root (CI runs as root)");
        Processes.Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", folder);
        mounted = folder;
        var path = Path.Combine(folder, "m.onnx");
        var e = Assert.Throws<EdgeAiException>(() => ModelExport.Export(store, ModelRef.Parse("mnist-mlp"), path));
        Assert.StartsWith($"Cannot write --out {path}: ", e.Message);
        Assert.Contains("Nothing was written", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    public void Dispose()
    {
        if (mounted is not null)
            Processes.Run("umount", mounted);
        temp.Dispose();
    }
}
