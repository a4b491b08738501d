using EdgeAi.Core.Store;
using EdgeAi.Interactive.Tests.Support;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;

namespace EdgeAi.Interactive.Tests.Magics;

public sealed class MnistTrainMagicTests
{
    [Fact, Trait("Needs", "libtorch")]
    public async Task TrainingUpdatesOneProgressDisplayDrawsCurvesAndSaves()
    {
        await using var session = await KernelSession.StartAsync();
        var cell = await session.RunAsync("#!mnist-train --epochs 2 --batch-size 16 --seed 3");
        Assert.True(cell.Succeeded, cell.Error);
        Assert.True(cell.Updates >= 2, $"progress was updated {cell.Updates} times");
        Assert.Contains(cell.Html, h => h.Contains("epoch 2/2") && h.Contains("images/s") && h.Contains("ETA"));
        var curves = Assert.Single(cell.Events.OfType<DisplayedValueProduced>(), e => e.FormattedValues.Any(v => v.Value.Contains("class=\"edgeai-chart\"")));
        ChartAssert.AllForms(curves, ["loss", "accuracy"]);
        var summary = Assert.Single(cell.Html, h => h.Contains("Saved <b>mnist-mlp@v1</b>"));
        Assert.Matches(@"test accuracy <b>(9\d|8\d)\.\d\d", summary.Replace(" %", ""));

        var stored = new WeightStore(session.Store).List();
        Assert.Equal(2, Assert.Single(stored).Manifest.Training!.Epochs);
    }

    [Fact, Trait("Needs", "libtorch")]
    public async Task TheTrainedModelIsReachableFromTheNextCSharpCell()
    {
        await using var session = await KernelSession.StartAsync();
        Assert.True((await session.RunAsync("#!mnist-train --epochs 1 --name digits")).Succeeded);
        var cell = await session.RunAsync(
            "var p = (await EdgeAi.Interactive.Mnist.LabAsync()).Predict(EdgeAi.Interactive.Mnist.Model!, 0, 3);\n" +
            "$\"{EdgeAi.Interactive.Mnist.Manifest!.Name} {p.Count} {p.All(x => x.Probabilities.Length == 10)}\"");
        Assert.True(cell.Succeeded, cell.Error);
        Assert.Equal("digits 3 True", cell.ReturnValue);
    }

    [Theory]
    [InlineData("--epochs 0", "epochs 0 is outside 1-100")]
    [InlineData("--learning-rate 5", "learning rate 5 is outside (0, 1]")]
    [InlineData("--threads 0", "threads 0 is outside 1-")]
    [InlineData("--threads 4096", "threads 4096 is outside 1-")]
    [InlineData("--batch-size 60001", "batch size 60001 is outside 1-8000")]
    [InlineData("--name ../../etc", "Model name '../../etc' is not allowed")]
    [InlineData("--data /nonexistent", "'/nonexistent' (from --data) does not exist")]
    public async Task BadOptionsAreNamedAndTheKernelCarriesOn(string options, string message)
    {
        await using var session = await KernelSession.StartAsync();
        var cell = await session.RunAsync($"#!mnist-train {options}");
        Assert.False(cell.Succeeded);
        Assert.Contains(message, cell.Error);
        Assert.DoesNotContain("   at ", cell.Error);   // no stack trace
        Assert.Empty(new WeightStore(session.Store).List());
        Assert.Equal("2", (await session.RunAsync("1 + 1")).ReturnValue);
    }

    /// <summary>A data folder of the user's choosing whose images file is a FIFO: refused at once, the kernel answers on.</summary>
    [Fact]
    public async Task A_data_file_that_would_block_is_refused_and_the_kernel_answers_the_next_cell()
    {
        await using var session = await KernelSession.StartAsync();
        using var temp = new TempDirectory();
        Idx.WriteDataset(temp.Path, train: 16, test: 4);
        var images = temp.Combine("train-images-idx3-ubyte.gz");
        File.Delete(images);
        Processes.Run("mkfifo", images);
        var cell = session.RunAsync($"#!mnist-train --data {temp.Path}");
        Assert.True(await Task.WhenAny(cell, Task.Delay(TimeSpan.FromSeconds(30))) == cell, "the cell hung on the FIFO");
        Assert.Contains($"{images} is not a regular file (it is a FIFO (named pipe))", (await cell).Error);
        Assert.Equal("2", (await session.RunAsync("1 + 1")).ReturnValue);
        Assert.Empty(new WeightStore(session.Store).List());
    }

    [Fact]
    public async Task ANonNumberIsRefusedByTheParser()
    {
        await using var session = await KernelSession.StartAsync();
        var cell = await session.RunAsync("#!mnist-train --epochs three");
        Assert.Contains("--epochs 'three' is not a whole number; use 1-100", cell.Error);
    }

    [Fact, Trait("Needs", "libtorch")]
    public async Task InterruptingTrainingSavesNothingAndKeepsThePreviousVersion()
    {
        await using var session = await KernelSession.StartAsync();
        Assert.True((await session.RunAsync("#!mnist-train --epochs 1")).Succeeded);

        var training = session.RunAsync("#!mnist-train --epochs 50 --batch-size 8");
        await Task.Delay(1500);
        await session.Kernel.SendAsync(new Cancel());
        var cell = await training;
        Assert.Contains("cancel", cell.Error, StringComparison.OrdinalIgnoreCase);
        var versions = new WeightStore(session.Store).List();
        Assert.Equal(1, Assert.Single(versions).Manifest.Version);
        Assert.Equal("2", (await session.RunAsync("1 + 1")).ReturnValue);
    }

    [Fact, Trait("Needs", "libtorch")]
    public async Task AnUnwritableStoreIsExplained()
    {
        await using var session = await KernelSession.StartAsync();
        Mnist.Configure(store: "/proc/edgeai-books", data: session.Data);
        var cell = await session.RunAsync("#!mnist-train --epochs 1");
        Assert.Contains("Cannot write to the weight store /proc/edgeai-books", cell.Error);
        Assert.Contains("Nothing was saved", cell.Error);
    }
}
