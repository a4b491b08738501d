using System.Security.Cryptography;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using TorchSharp.PyBridge;

namespace EdgeAi.Core.Tests.Federated;

/// <summary>
/// What anyone can do with a global version's manifest: read the update files it names (relative to the store's root),
/// check their SHA-256, and recompute FedAvg's weighted mean. Written apart from the aggregator (its own file reading,
/// safetensors through PyBridge, sums in its own order) so that a test compares two computations, not one with itself.
/// </summary>
static class IndependentAverage
{
    public static float[] Weights(MnistMlp model) =>
        [.. MnistMlp.Tensors.SelectMany(t => model.state_dict()[t.Name].data<float>().ToArray())];

    public static float[] Load(string file)
    {
        using var model = new MnistMlp();
        using var stream = File.OpenRead(file);
        model.load_safetensors(stream, strict: true);
        return Weights(model);
    }

    /// <summary>The weighted mean of the updates <paramref name="global"/>'s manifest names, after checking each file's SHA-256.</summary>
    public static double[] Recompute(string storeRoot, ModelManifest global)
    {
        var record = global.Federation ?? throw new InvalidOperationException($"{global.Ref} has no federation record");
        Assert.NotEmpty(record.Updates);
        var total = record.Updates.Sum(u => (double)u.Samples);
        double[]? mean = null;
        foreach (var update in record.Updates.Reverse())   // another order than the aggregator's: the sums still agree to rounding
        {
            var path = Path.Combine(storeRoot, update.Path);
            Assert.Equal(update.Sha256, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant());
            var weights = Load(path);
            mean ??= new double[weights.Length];
            for (var i = 0; i < weights.Length; i++)
                mean[i] += weights[i] * (update.Samples / total);
        }
        return mean!;
    }

    /// <summary>The largest difference between a global version's weights and the recomputed mean.</summary>
    public static double Difference(WeightStore store, ModelManifest global)
    {
        var mean = Recompute(store.Root, global);
        using var loaded = store.Load(global.Ref);
        var actual = Weights(loaded.Model);
        return actual.Select((v, i) => Math.Abs(v - mean[i])).Max();
    }

    /// <summary>Every version of <paramref name="name"/>, oldest first; each a round of one federation, rounds 0, 1, 2, ...
    /// with no gap or repeat, each the child of the one before.</summary>
    public static IReadOnlyList<ModelManifest> Chain(WeightStore store, string name)
    {
        var versions = store.List(name).Select(v => v.Manifest).OrderBy(m => m.Version).ToList();
        Assert.All(versions, v => Assert.NotNull(v.Federation));
        Assert.Equal(Enumerable.Range(0, versions.Count), versions.Select(v => v.Federation!.Round));
        for (var i = 1; i < versions.Count; i++)
        {
            Assert.Equal(versions[i - 1].Version, versions[i].Federation!.ParentVersion);
            Assert.Equal(versions[0].Federation!.Settings.Id, versions[i].Federation!.Settings.Id);
        }
        return versions;
    }
}
