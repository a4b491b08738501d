using EdgeAi.Core.Data;
using EdgeAi.Core.Store;
using EdgeAi.Core.Training;

[assembly: AssemblyFixture(typeof(EdgeAi.Core.Tests.Support.TrainedFashionModel))]

namespace EdgeAi.Core.Tests.Support;

/// <summary>One model trained like the report (3 epochs, batch 32) on the 60k Fashion-MNIST images, shared by
/// every test that needs a trained model, and saved in a store of its own.</summary>
public sealed class TrainedFashionModel : IDisposable
{
    readonly TempDirectory temp = new();
    readonly Lazy<Lab> lab;
    readonly Lazy<SavedModel> saved;

    public TrainedFashionModel()
    {
        Store = new WeightStore(temp.Combine("books"));
        lab = new Lazy<Lab>(() => Lab.OpenAsync(RealData.RequireFashionMnist(), Store).GetAwaiter().GetResult());
        saved = new Lazy<SavedModel>(() => Lab.TrainAndSave("fashion", new TrainingOptions { Seed = 42 }));
    }

    public WeightStore Store { get; }
    public Lab Lab => lab.Value;
    public SavedModel Saved => saved.Value;
    public MnistDataset Dataset => Lab.Dataset;
    public string TempPath(string name) => temp.Combine(name);

    public void Dispose()
    {
        if (saved.IsValueCreated)
            saved.Value.Model.Dispose();
        temp.Dispose();
    }
}
