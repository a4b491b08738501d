using EdgeAi.Interactive.Tests.Support;
using Microsoft.DotNet.Interactive.Events;

namespace EdgeAi.Interactive.Tests.Magics;

public sealed class ExtensionLoadTests
{
    [Fact]
    public async Task LoadingShowsOneLineWithTheMagicsTheStoreAndSomethingToTry()
    {
        await using var session = await KernelSession.StartAsync();
        var html = session.LoadEvents.OfType<DisplayEvent>().SelectMany(e => e.FormattedValues).Select(v => v.Value).ToList();
        var hint = Assert.Single(html, h => h.Contains("EdgeAi.Interactive</code> loaded"));
        foreach (var magic in new[] { "#!mnist-train", "#!mnist-load", "#!mnist-eval", "#!mnist-predict", "#!mnist-weights", "#!cluster" })
            Assert.Contains(magic, hint);
        Assert.Contains(session.Store, hint);
        Assert.Contains("Try <code>#!mnist-train", hint);
        // plotly.js comes with the extension, for pods without internet.
        Assert.Contains(html, h => h.Contains("window.Plotly") && h.Length > 1_000_000);
    }

    [Theory]
    [InlineData("#!mnist-train", "--batch-size")]
    [InlineData("#!mnist-load", "--model")]
    [InlineData("#!mnist-eval", "--data")]
    [InlineData("#!mnist-predict", "--count")]
    [InlineData("#!mnist-weights", "--help")]
    [InlineData("#!cluster", "--help")]
    public async Task EveryMagicExplainsItselfWithHelp(string magic, string option)
    {
        await using var session = await KernelSession.StartAsync();
        var cell = await session.RunAsync($"{magic} --help");
        Assert.True(cell.Succeeded, cell.Error);
        var usage = Assert.Single(cell.Html);
        Assert.Contains($"<code>{magic}</code>", usage);
        Assert.Contains(option, usage);
    }
}
