using EdgeAi.Interactive.Tests.Support;
using Microsoft.DotNet.Interactive.Events;

namespace EdgeAi.Interactive.Tests.Magics;

/// <summary>The report's second notebook: load, evaluate, predict; and what happens when the store is not right.</summary>
[Trait("Needs", "libtorch")]   // trains or loads a model: TorchSharp's backend (on arm64, the one docker/libtorchsharp builds)
public sealed class LoadEvalPredictTests
{
    static async Task<KernelSession> WithTwoVersionsAsync()
    {
        var session = await KernelSession.StartAsync();
        Assert.True((await session.RunAsync("#!mnist-train --epochs 1 --seed 1")).Succeeded);
        Assert.True((await session.RunAsync("#!mnist-train --epochs 2 --seed 2")).Succeeded);
        Mnist.Unload();   // as in a fresh kernel: nothing loaded
        return session;
    }

    [Fact]
    public async Task LoadShowsTheManifestAndTheLoadTime()
    {
        await using var session = await WithTwoVersionsAsync();
        var cell = await session.RunAsync("#!mnist-load");
        Assert.True(cell.Succeeded, cell.Error);
        var html = Assert.Single(cell.Html);
        Assert.Contains("mnist-mlp@v2", html);
        Assert.Contains("Loaded in", html);
        Assert.Contains(Environment.MachineName, html);
        Assert.Contains("2 epochs", html);

        cell = await session.RunAsync("#!mnist-load mnist-mlp@1");
        Assert.Contains("mnist-mlp@v1", Assert.Single(cell.Html));
    }

    [Fact]
    public async Task EvalGivesAccuracyPerClassAndAConfusionHeatmap()
    {
        await using var session = await WithTwoVersionsAsync();
        var before = await session.RunAsync("#!mnist-eval");
        Assert.Contains("No model yet: run #!mnist-train or #!mnist-load first.", before.Error);

        await session.RunAsync("#!mnist-load");
        var cell = await session.RunAsync("#!mnist-eval");
        Assert.True(cell.Succeeded, cell.Error);
        Assert.Contains(cell.Html, h => h.Contains("test accuracy") && h.Contains("on 2,000 images") && h.Contains("9: "));
        var heatmap = Assert.Single(cell.Events.OfType<DisplayedValueProduced>(), e => e.FormattedValues.Any(v => v.MimeType == "image/svg+xml"));
        ChartAssert.AllForms(heatmap, [], "heatmap");
        // The picture labels every cell with its count: the diagonal's counts are there.
        var counts = Mnist.LastEvaluation!.Confusion;
        var svg = heatmap.FormattedValues.Single(v => v.MimeType == "image/svg+xml").Value;
        Assert.All(Enumerable.Range(0, 10), digit => Assert.Contains($">{counts[digit, digit]}<", svg));
        Assert.InRange(Mnist.LastEvaluation!.Accuracy, 0.85, 1.0);
    }

    [Fact]
    public async Task PredictShowsDigitsAsImagesWithTheirLabelAndProbabilities()
    {
        await using var session = await WithTwoVersionsAsync();
        await session.RunAsync("#!mnist-load");
        var cell = await session.RunAsync("#!mnist-predict --index 5 --count 3");
        Assert.True(cell.Succeeded, cell.Error);
        var digits = Assert.Single(cell.Html, h => h.Contains("<img") && !h.Contains("edgeai-chart"));
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(digits, "src=\"data:image/png;base64,").Count);
        Assert.Contains("#5:", digits);
        var bars = Assert.Single(cell.Events.OfType<DisplayedValueProduced>(), e => e.FormattedValues.Any(v => v.MimeType == "image/svg+xml"));
        var figure = ChartAssert.AllForms(bars, ["#5", "#6", "#7"], "bar");
        Assert.Equal("Class probabilities", (string)figure["layout"]!["title"]!["text"]!);
        // Each image's bars are its ten class probabilities, in class order.
        var predictions = (await Mnist.LabAsync()).Predict(Mnist.Model!, 5, 3);
        var traces = figure["data"]!.AsArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Enumerable.Range(0, 10).Select(c => c.ToString()), traces[i]!["x"]!.AsArray().Select(x => (string)x!));
            Assert.Equal(predictions[i].Probabilities.Select(v => (double)v), traces[i]!["y"]!.AsArray().Select(y => (double)y!), (a, b) => Math.Abs(a - b) < 1e-6);
        }
    }

    [Theory]
    [InlineData("#!mnist-predict --index 1999 --count 2", "runs past the last test image (1999)")]
    [InlineData("#!mnist-predict --index 5000", "Index 5000 is outside 0-1999")]
    [InlineData("#!mnist-predict --count 0", "--count 0 is outside 1-100")]
    [InlineData("#!mnist-predict --index -1", "--index -1 is negative")]
    [InlineData("#!mnist-load mnist-mlp@9", "has no version 9")]
    [InlineData("#!mnist-load other", "No model named 'other'")]
    [InlineData("#!mnist-load mnist-mlp@x", "Version 'x'")]
    public async Task BadRequestsAreNamedAndTheKernelCarriesOn(string magic, string message)
    {
        await using var session = await WithTwoVersionsAsync();
        await session.RunAsync("#!mnist-load");
        var cell = await session.RunAsync(magic);
        Assert.Contains(message, cell.Error);
        Assert.Equal("2", (await session.RunAsync("1 + 1")).ReturnValue);
    }

    [Fact]
    public async Task TamperedWeightsAreRefusedAndTheLoadedModelStays()
    {
        await using var session = await WithTwoVersionsAsync();
        await session.RunAsync("#!mnist-load mnist-mlp@1");
        var weights = Path.Combine(session.Store, "mnist-mlp", "v000002", "weights.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^10] ^= 1;
        File.WriteAllBytes(weights, bytes);

        var cell = await session.RunAsync("#!mnist-load");
        Assert.Contains("corrupt or was tampered with", cell.Error);
        Assert.Equal(1, Mnist.Manifest!.Version);
        Assert.True((await session.RunAsync("#!mnist-predict")).Succeeded);
    }

    [Fact]
    public async Task WeightsListsEveryVersionWithItsOrigin()
    {
        await using var session = await WithTwoVersionsAsync();
        var cell = await session.RunAsync("#!mnist-weights");
        var table = Assert.Single(cell.Html);
        Assert.Contains("v2 (latest)", table);
        Assert.Contains("v1", table);
        Assert.Contains(Environment.MachineName, table);
    }

    [Fact]
    public async Task AMissingStoreIsExplained()
    {
        await using var session = await KernelSession.StartAsync();
        var cell = await session.RunAsync("#!mnist-load");
        Assert.Contains("does not exist", cell.Error);
        Assert.Contains(session.Store, cell.Error);
        Assert.Contains("No models in", Assert.Single((await session.RunAsync("#!mnist-weights")).Html));
    }
}
