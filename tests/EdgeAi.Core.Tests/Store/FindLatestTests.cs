using EdgeAi.Core.Model;
using EdgeAi.Core.Store;

namespace EdgeAi.Core.Tests.Store;

/// <summary>What a federation's nodes poll: the latest version of a name, while another process sets the name up.</summary>
[Trait("Needs", "libtorch")]
public sealed class FindLatestTests : IDisposable
{
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Polling_while_the_models_folder_comes_and_goes_sees_none_and_then_the_version_never_an_error()
    {
        var store = new WeightStore(temp.Combine("books"));
        var folder = Path.Combine(store.Root, "fed");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        // As the aggregator's pre-flight check does: make the model's folder, write in it, remove it again.
        var churn = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Directory.CreateDirectory(folder);
                Directory.Delete(folder);
            }
        });
        var polls = 0;
        while (!churn.IsCompleted)
        {
            Assert.Null(store.FindLatest("fed"));
            polls++;
        }
        await churn;
        Assert.True(polls > 100, $"{polls} polls");

        using var model = new MnistMlp(1);
        var saved = store.Save("fed", model);
        Assert.Equal(saved.Version, store.FindLatest("fed")!.Version);
    }
}
