using EdgeAi.Core.Model;
using EdgeAi.Core.Store;

namespace EdgeAi.Core.Tests.Store;

/// <summary>Rolling latest back to an earlier version: only to one that loads, and until the next save.</summary>
[Trait("Needs", "libtorch")]
public sealed class PromotionTests : IDisposable
{
    readonly TempDirectory temp = new();
    readonly WeightStore store;

    public PromotionTests()
    {
        store = new WeightStore(temp.Combine("books"));
        for (var seed = 1; seed <= 3; seed++)
            Save(seed);
    }

    public void Dispose() => temp.Dispose();

    void Save(int seed)
    {
        using var model = new MnistMlp(seed);
        store.Save("mnist-mlp", model);
    }

    int Latest()
    {
        using var loaded = store.Load(ModelRef.Parse("mnist-mlp"));
        return loaded.Manifest.Version;
    }

    [Fact]
    public void Promoting_a_version_makes_it_what_latest_loads_and_lists_until_the_next_save()
    {
        var promotion = store.Promote(ModelRef.Parse("mnist-mlp@v2"));
        Assert.Equal(2, promotion.Latest.Version);
        Assert.Equal(3, promotion.Previous);
        Assert.Equal(2, Latest());
        Assert.Equal([2], store.List().Where(v => v.IsLatest).Select(v => v.Manifest.Version));

        Save(4);   // a new training: latest moves to the highest version again
        Assert.Equal(4, Latest());
    }

    [Theory]
    [InlineData("mnist-mlp", "Promote needs a version: name one, e.g. mnist-mlp@3")]
    [InlineData("mnist-mlp@latest", "Promote needs a version")]
    [InlineData("mnist-mlp@9", "Model 'mnist-mlp' has no version 9")]
    [InlineData("other@1", "Model 'other' has no version 1")]
    public void A_version_that_is_not_there_is_named_and_latest_is_unchanged(string reference, string message)
    {
        var e = Assert.Throws<EdgeAiException>(() => store.Promote(ModelRef.Parse(reference)));
        Assert.Contains(message, e.Message);
        Assert.Equal(3, Latest());
    }

    [Fact]
    public void A_version_that_fails_its_checksum_or_has_no_manifest_is_not_promoted()
    {
        var v1 = Path.Combine(store.Root, "mnist-mlp", "v000001");
        var weights = Path.Combine(v1, ModelManifest.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 1;
        File.WriteAllBytes(weights, bytes);
        var e = Assert.Throws<EdgeAiException>(() => store.Promote(ModelRef.Parse("mnist-mlp@1")));
        Assert.Contains("is corrupt or was tampered with", e.Message);

        File.Delete(Path.Combine(store.Root, "mnist-mlp", "v000002", ModelManifest.ManifestFile));
        e = Assert.Throws<EdgeAiException>(() => store.Promote(ModelRef.Parse("mnist-mlp@2")));
        Assert.Contains("it is not a complete version", e.Message);
        Assert.Equal(3, Latest());
    }
}
