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
        foreach (var magic in new[] { "#!mnist-train", "#!mnist-load", "#!mnist-eval", "#!mnist-predict", "#!mnist-weights", "#!mnist-export", "#!fed-train", "#!cluster" })
            Assert.Contains(magic, hint);
        Assert.Contains(session.Store, hint);
        Assert.Contains("Try <code>#!mnist-train", hint);
        // plotly.js is not in the notebook (it was 3.6 MB of every saved notebook): the charts fetch it from the server.
        Assert.True(html.Sum(h => h.Length) < 10_000, $"loading showed {html.Sum(h => h.Length):N0} characters");
    }

    [Fact]
    public async Task Loading_publishes_plotly_js_where_the_server_serves_it_and_says_so_when_it_cannot()
    {
        using var folder = new TempDirectory();
        var previous = Environment.GetEnvironmentVariable("EDGEAI_STATIC_DIR");
        try
        {
            Environment.SetEnvironmentVariable("EDGEAI_STATIC_DIR", folder.Path);
            await using (var session = await KernelSession.StartAsync())
            {
                var published = new FileInfo(folder.Combine("edgeai", "plotly.min.js"));
                Assert.True(published.Exists && published.Length > 1_000_000, "plotly.js was not published");
                Assert.Contains("plotly.js v", File.ReadAllText(published.FullName)[..300]);
                Assert.DoesNotContain(Directory.GetFiles(folder.Combine("edgeai")), f => f.EndsWith(".tmp"));
                Assert.DoesNotContain(Hints(session), h => h.Contains("Note:"));
            }

            // A folder the kernel cannot write: the extension loads, and says what the charts will lack, and why.
            var blocked = folder.Combine("not-a-folder");
            File.WriteAllText(blocked, "");
            Environment.SetEnvironmentVariable("EDGEAI_STATIC_DIR", blocked);
            await using (var session = await KernelSession.StartAsync())
                Assert.Contains(Hints(session), h => h.Contains("charts show static pictures only") && h.Contains(blocked));
        }
        finally
        {
            Environment.SetEnvironmentVariable("EDGEAI_STATIC_DIR", previous);
        }
    }

    static IEnumerable<string> Hints(KernelSession session) =>
        session.LoadEvents.OfType<DisplayEvent>().SelectMany(e => e.FormattedValues).Select(v => v.Value);

    [Theory]
    [InlineData("#!mnist-train", "--batch-size")]
    [InlineData("#!mnist-load", "--model")]
    [InlineData("#!mnist-eval", "--data")]
    [InlineData("#!mnist-predict", "--count")]
    [InlineData("#!mnist-weights", "--help")]
    [InlineData("#!mnist-export", "--out")]
    [InlineData("#!fed-train", "--partition")]
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
