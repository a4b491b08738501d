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
    readonly Lazy<SavedModel> saved;

    public TrainedFashionModel()
    {
        Store = new WeightStore(temp.Combine("books"));
        Lab = new Lab(Store, RealData.FashionMnist);
        saved = new Lazy<SavedModel>(() =>
        {
            RealData.RequireFashionMnist();
            Lab.DatasetAsync().GetAwaiter().GetResult();
            return Lab.TrainAndSave("fashion", new TrainingOptions { Seed = 42 });
        });
    }

    public WeightStore Store { get; }
    public Lab Lab { get; }
    public SavedModel Saved => saved.Value;
    public MnistDataset Dataset => Lab.DatasetAsync().GetAwaiter().GetResult();
    public string TempPath(string name) => temp.Combine(name);

    public void Dispose()
    {
        if (saved.IsValueCreated) saved.Value.Model.Dispose();
        temp.Dispose();
    }
}
