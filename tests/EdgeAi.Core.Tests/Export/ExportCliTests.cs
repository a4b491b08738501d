using System.Reflection;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAi.Core.Tests.Export;

/// <summary>`edgeai export`, as a terminal user runs it: one summary line, or one error line naming the value and
/// exit 2, and no file left by a failed export.</summary>
[Trait("Needs", "cli-build")]
[Trait("Needs", "libtorch")]
public sealed class ExportCliTests : IDisposable
{
    static readonly string Cli = typeof(ExportCliTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
    readonly TempDirectory temp = new();
    readonly string store, folder;

    public ExportCliTests()
    {
        store = temp.Combine("books");
        using (var model = new MnistMlp(seed: 1))
            new WeightStore(store).Save("mnist-mlp", model);
        folder = Directory.CreateDirectory(temp.Combine("out")).FullName;
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Export_writes_a_file_onnx_runtime_loads_and_says_what_it_wrote()
    {
        var path = Path.Combine(folder, "mnist.onnx");
        var (exit, output) = Run("export", "mnist-mlp@v1", "--format", "onnx", "--out", path, "--store", store);
        Assert.True(exit == 0, output);
        var manifest = new WeightStore(store).ReadManifest(ModelRef.Parse("mnist-mlp@1")).Manifest;
        Assert.Contains($"exported mnist-mlp@v1 to {path}: {new FileInfo(path).Length:N0} bytes, ONNX opset 17, weights SHA-256 {manifest.WeightsSha256}", output);
        using var session = new InferenceSession(path);
        Assert.Equal(manifest.WeightsSha256, session.ModelMetadata.CustomMetadataMap["edgeai.source.weights_sha256"]);
    }

    [Theory]
    [InlineData("export --format tflite --out OUT/m.tflite", "Format 'tflite' is not supported: use onnx.")]
    [InlineData("export nosuch --out OUT/m.onnx", "No model named 'nosuch'")]
    [InlineData("export mnist-mlp@7 --out OUT/m.onnx", "Model 'mnist-mlp' has no version 7")]
    [InlineData("export mnist-mlp@x --out OUT/m.onnx", "Version 'x' in 'mnist-mlp@x' is not valid")]
    [InlineData("export --out OUT", "--out OUT is a folder; name a file in it, e.g. --out OUT/mnist.onnx")]
    [InlineData("export --out OUT/missing/m.onnx", "--out OUT/missing/m.onnx: the folder OUT/missing does not exist")]
    [InlineData("export", "Option '--out' is required")]
    public void Bad_input_is_one_error_line_naming_the_value_exit_2_and_no_file(string arguments, string message)
    {
        var (exit, output) = Run([.. arguments.Replace("OUT", folder).Split(' '), "--store", store]);
        Assert.Equal(2, exit);
        Assert.Contains($"error: {message.Replace("OUT", folder)}", output);
        Assert.DoesNotContain("   at ", output);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    /// <summary>Root writes through permissions, so the folder is a read-only mount of its own (CI runs as root).</summary>
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void An_out_folder_that_cannot_be_written_is_named_with_exit_2_and_no_file()
    {
        if (Files.FileStatus.Me.User != 0)
            Assert.Skip("a read-only mount of its own needs root (CI runs as root)");
        Processes.Run("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", folder);
        try
        {
            var path = Path.Combine(folder, "m.onnx");
            var (exit, output) = Run("export", "--out", path, "--store", store);
            Assert.Equal(2, exit);
            Assert.Contains($"error: Cannot write --out {path}: ", output);
            Assert.Contains("Nothing was written; choose a folder you can write to.", output);
            Assert.DoesNotContain("   at ", output);
            Assert.Empty(Directory.GetFileSystemEntries(folder));
        }
        finally
        {
            Processes.Run("umount", folder);
        }
    }

    [Fact]
    public void An_existing_file_is_left_as_it_is_unless_force_is_given()
    {
        var path = Path.Combine(folder, "mnist.onnx");
        File.WriteAllText(path, "someone's deployed model");
        var (exit, output) = Run("export", "--out", path, "--store", store);
        Assert.Equal(2, exit);
        Assert.Contains($"error: --out {path} exists; pass --force to replace it", output);
        Assert.Equal("someone's deployed model", File.ReadAllText(path));

        (exit, output) = Run("export", "--out", path, "--force", "--store", store);
        Assert.True(exit == 0, output);
        using var session = new InferenceSession(path);
        Assert.Equal("mnist-mlp", session.ModelMetadata.CustomMetadataMap["edgeai.source.name"]);
        Assert.Equal(["mnist.onnx"], Directory.GetFiles(folder).Select(Path.GetFileName));
    }

    static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var result = Processes.Execute(Processes.Info("dotnet", [Cli, .. arguments]), TimeSpan.FromMinutes(2));
        return (result.ExitCode, result.Output);
    }
}
