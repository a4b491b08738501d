using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using EdgeAi.Core.Tests.Support;
using TorchSharp;

namespace EdgeAi.Core.Tests.Store;

/// <summary>Versions, the latest pointer, pruning, and a clear refusal of everything that cannot be trusted.</summary>
[Trait("Needs", "libtorch")]   // TorchSharp's native backend (on arm64, the one docker/libtorchsharp builds)
public sealed class WeightStoreTests : IDisposable
{
    readonly TempDirectory temp = new();
    readonly WeightStore store;

    public WeightStoreTests()
    {
        EdgeAi.Core.Native.TorchNative.EnsureLoaded();
        store = new WeightStore(temp.Combine("books"));
    }

    public void Dispose() => temp.Dispose();

    ModelManifest Save(string name = "mnist-mlp", int seed = 1)
    {
        using var model = new MnistMlp(seed: seed);
        return store.Save(name, model);
    }

    string VersionDir(string name, int version) => temp.Combine("books", name, $"v{version:D6}");

    [Fact]
    public void SaveThenLoadGivesTheSameOutputs()
    {
        using var original = new MnistMlp(seed: 5);
        var manifest = store.Save("roundtrip", original);
        using var loaded = store.Load(ModelRef.Parse("roundtrip"));
        using var generator = new torch.Generator(5);
        using var input = torch.rand(4, 784, generator: generator);
        Assert.True(original.forward(input).allclose(loaded.Model.forward(input)));
        Assert.Equal(manifest, loaded.Manifest with { }, ManifestComparer.Instance);
        Assert.Equal(64, manifest.WeightsSha256.Length);
        Assert.Equal(MnistMlp.ArchitectureName, manifest.Architecture);
        Assert.Equal(Environment.MachineName, manifest.Origin.Host);
    }

    [Fact]
    public void EachSaveIsANewVersionAndLatestFollows()
    {
        Assert.Equal(1, Save().Version);
        Assert.Equal(2, Save(seed: 2).Version);
        Assert.Equal(3, Save(seed: 3).Version);
        using var latest = store.Load(ModelRef.Parse("mnist-mlp"));
        Assert.Equal(3, latest.Manifest.Version);
        using var second = store.Load(ModelRef.Parse("mnist-mlp@2"));
        Assert.Equal(2, second.Manifest.Version);
        Assert.Equal(new[] { 3, 2, 1 }, store.List().Select(v => v.Manifest.Version));
        Assert.True(store.List()[0].IsLatest);
    }

    [Fact]
    public void OldVersionsArePrunedButNeverTheLatest()
    {
        var small = new WeightStore(temp.Combine("books")) { KeepVersions = 2 };
        using var model = new MnistMlp(seed: 1);
        for (var i = 0; i < 5; i++)
            small.Save("pruned", model);
        Assert.Equal(new[] { 5, 4 }, small.List("pruned").Select(v => v.Manifest.Version));

        // Pin latest to an old version by hand: a later prune keeps it.
        File.WriteAllText(temp.Combine("books", "pruned", "latest"), "v000004\n");
        var zeroKeep = new WeightStore(temp.Combine("books")) { KeepVersions = 0 };
        zeroKeep.Save("pruned", model);   // v6 becomes latest; v4, v5 go
        Assert.Equal(new[] { 6 }, zeroKeep.List("pruned").Select(v => v.Manifest.Version));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("Upper")]
    [InlineData("")]
    public void NamesThatCouldEscapeTheStoreAreRefused(string name)
    {
        using var model = new MnistMlp();
        var e = Assert.Throws<EdgeAiException>(() => store.Save(name, model));
        Assert.Contains($"Model name '{name}' is not allowed", e.Message);
        Assert.False(Directory.Exists(temp.Combine("escape")));
    }

    [Fact]
    public void TamperedWeightsAreRefused()
    {
        Save();
        var weights = Path.Combine(VersionDir("mnist-mlp", 1), "weights.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(weights, bytes);
        var e = Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp")));
        Assert.Contains("corrupt or was tampered with", e.Message);
        Assert.Contains("SHA-256", e.Message);
    }

    [Fact]
    public void MissingVersionsAndModelsListWhatExists()
    {
        Save("alpha");
        var e = Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("alpha@7")));
        Assert.Contains("has no version 7", e.Message);
        Assert.Contains("v000001", e.Message);
        e = Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("beta")));
        Assert.Contains("No model named 'beta'", e.Message);
        Assert.Contains("alpha", e.Message);
    }

    [Fact]
    public void AMissingStoreIsNamed()
    {
        var missing = new WeightStore(temp.Combine("not-mounted"));
        var e = Assert.Throws<EdgeAiException>(() => missing.Load(ModelRef.Parse(null)));
        Assert.Contains(temp.Combine("not-mounted"), e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void AnUnwritableStoreSaysNothingWasSaved()
    {
        // /proc refuses new directories even to root, so this holds for every user.
        var unwritable = new WeightStore("/proc/edgeai-books");
        using var model = new MnistMlp();
        var e = Assert.Throws<EdgeAiException>(() => unwritable.Save("mnist-mlp", model));
        Assert.Contains("Cannot write to the weight store /proc/edgeai-books", e.Message);
        Assert.Contains("Nothing was saved", e.Message);
    }

    [Fact]
    public void AManifestFromANewerFormatIsRefused()
    {
        Save();
        EditManifest(VersionDir("mnist-mlp", 1), m => m["formatVersion"] = 2);
        var e = Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp")));
        Assert.Contains("format version 2", e.Message);
        Assert.Contains("newer EdgeAi", e.Message);
    }

    [Fact]
    public void AnotherArchitectureIsRefused()
    {
        Save();
        EditManifest(VersionDir("mnist-mlp", 1), m => m["architecture"] = "cnn-lenet5");
        var e = Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp")));
        Assert.Contains("'cnn-lenet5' model", e.Message);
    }

    [Fact]
    public void WrongShapesAreNamed()
    {
        Save();
        EditManifest(VersionDir("mnist-mlp", 1), m => m["tensors"]![0]!["shape"] = new JsonArray(64, 784));
        var e = Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp")));
        Assert.Contains("tensor 1.weight has shape [64, 784], the model needs [128, 784]", e.Message);
    }

    [Fact]
    public void AVersionWithoutManifestIsIncomplete()
    {
        Save();
        File.Delete(Path.Combine(VersionDir("mnist-mlp", 1), "manifest.json"));
        var e = Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp")));
        Assert.Contains("not a complete version", e.Message);
        Assert.Empty(store.List());
    }

    [Fact]
    public void GarbageManifestIsRefused()
    {
        Save();
        File.WriteAllText(Path.Combine(VersionDir("mnist-mlp", 1), "manifest.json"), "{ not json");
        var e = Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp")));
        Assert.Contains("is not valid JSON", e.Message);
    }

    [Fact]
    public void LeftoversOfADeadWriterAreIgnoredAndCleaned()
    {
        Save();
        var modelDir = temp.Combine("books", "mnist-mlp");
        // A writer killed mid-save on this host (pid 999999 cannot be alive) and an old foreign one.
        var dead = Path.Combine(modelDir, $".staging-999999-{Guid.NewGuid():N}-{Environment.MachineName}");
        Directory.CreateDirectory(dead);
        File.WriteAllText(Path.Combine(dead, "weights.safetensors"), "half");
        var foreign = Path.Combine(modelDir, $".tmp-12-{Guid.NewGuid():N}-other-host.tmp");
        File.WriteAllText(foreign, "v0000");
        File.SetLastWriteTimeUtc(foreign, DateTime.UtcNow.AddHours(-2));
        var recent = Path.Combine(modelDir, $".tmp-12-{Guid.NewGuid():N}-other-host.tmp");
        File.WriteAllText(recent, "v0000");

        Assert.Single(store.List());   // readers do not see leftovers
        Save(seed: 2);
        Assert.False(Directory.Exists(dead));
        Assert.False(File.Exists(foreign));
        Assert.True(File.Exists(recent));   // another host may still be writing it
    }

    [Fact]
    public void ImportsWeightsWrittenElsewhereAfterCheckingThem()
    {
        using var model = new MnistMlp(seed: 9);
        var file = temp.Combine("external.safetensors");
        using (var stream = File.Create(file))
            TorchSharp.PyBridge.PyBridgeModuleExtensions.save_safetensors(model, stream);
        Assert.Equal(1, store.Import("imported", file).Version);

        using var wrong = torch.nn.Sequential(("1", torch.nn.Linear(784, 64)));
        var bad = temp.Combine("wrong.safetensors");
        using (var stream = File.Create(bad))
            TorchSharp.PyBridge.PyBridgeModuleExtensions.save_safetensors(wrong, stream);
        var e = Assert.Throws<EdgeAiException>(() => store.Import("imported", bad));
        Assert.Contains("lacks tensor 3.weight", e.Message);
    }

    static void EditManifest(string versionDir, Action<JsonNode> edit)
    {
        var path = Path.Combine(versionDir, "manifest.json");
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }

    sealed class ManifestComparer : IEqualityComparer<ModelManifest>
    {
        public static readonly ManifestComparer Instance = new();
        public bool Equals(ModelManifest? x, ModelManifest? y) =>
            JsonSerializer.Serialize(x, ModelManifest.Json) == JsonSerializer.Serialize(y, ModelManifest.Json);
        public int GetHashCode(ModelManifest obj) => 0;
    }
}
