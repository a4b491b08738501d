using System.Text.Json.Nodes;
using EdgeAi.Core.Store;
using EdgeAi.Core.Training;

namespace EdgeAi.Core.Tests.Training;

/// <summary>A node's own small data folder may lack classes: training, evaluating and saving still work, and the
/// manifest says which classes had no test images.</summary>
[Trait("Needs", "libtorch")]
public sealed class SmallDataTests : IDisposable
{
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Test_images_without_some_classes_are_saved_with_those_classes_unmeasured()
    {
        Idx.WriteDataset(temp.Combine("data"), train: 40, test: 3);   // three test images cannot hold ten classes
        var lab = await Lab.OpenAsync(temp.Combine("data"), new WeightStore(temp.Combine("books")));
        var saved = lab.TrainAndSave("own-data", new TrainingOptions { Epochs = 1, BatchSize = 8, Threads = 1 });
        var perClass = saved.Manifest.Metrics!.PerClassAccuracy!;
        Assert.Equal(10, perClass.Count);
        Assert.InRange(perClass.Count(a => a is null), 7, 9);
        var json = JsonNode.Parse(File.ReadAllText(temp.Combine("books", "own-data", "v000001", "manifest.json")))!;
        Assert.Contains(json["metrics"]!["perClassAccuracy"]!.AsArray(), a => a is null);
        using var loaded = lab.Store.Load(ModelRef.Parse("own-data"));
        Assert.Equal(saved.Manifest.WeightsSha256, loaded.Manifest.WeightsSha256);
    }
}
