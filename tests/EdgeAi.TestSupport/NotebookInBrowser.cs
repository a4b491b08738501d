using System.Text.Json;

namespace EdgeAi.TestSupport;

/// <summary>
/// A notebook run by a user in a real browser (Browser/notebook_ui.mjs: Debian's Chromium, driven by puppeteer-core):
/// Run All from the menu, save, reload. Checks what the reader sees, and that the page logged no console error and
/// sent no request elsewhere except the upstream ones the caller names, each with its reason.
/// </summary>
public static class NotebookInBrowser
{
    public sealed record Upstream(string Pattern, string Why);

    /// <summary>Runs <paramref name="notebook"/> (a path on the server) in the classic Notebook or JupyterLab
    /// (<paramref name="ui"/>: classic, lab), and asserts what every notebook must show. Returns the page's report.</summary>
    public static JsonElement RunAndCheck(string ui, Uri server, string token, string notebook, string screenshots,
                                          int charts, int images, IReadOnlyList<Upstream> upstream)
    {
        var script = Path.Combine(RealData.RepositoryRoot, "tests", "EdgeAi.TestSupport", "Browser", "notebook_ui.mjs");
        var result = Processes.Execute(Processes.Info("node", [script, ui, server.ToString(), token, notebook, screenshots]), TimeSpan.FromMinutes(15));
        Assert.True(result.ExitCode == 0, $"the browser run of {notebook} failed:\n{result.Output}");
        var seen = JsonDocument.Parse(result.Stdout.Trim().Split('\n')[^1]).RootElement.Clone();

        var run = seen.GetProperty("run");
        var reloaded = seen.GetProperty("reloaded");
        Assert.True(run.GetProperty("errors").GetArrayLength() == 0, $"{notebook}: error output: {run.GetProperty("errors")}");
        Assert.DoesNotContain(run.GetProperty("prompts").EnumerateArray(), p => p.GetString()!.Contains('*'));
        Assert.True(run.GetProperty("charts").GetInt32() == charts, $"{notebook}: {run}");
        Assert.True(run.GetProperty("chartsDrawn").GetInt32() == charts, $"{notebook}: not every chart was drawn: {run}");
        Assert.True(run.GetProperty("imagesShown").GetInt32() == images, $"{notebook}: {run}");
        // Saved with the session's trust, so the reloaded page shows the charts again.
        Assert.True(reloaded.GetProperty("chartsVisible").GetInt32() == charts, $"{notebook}: charts not visible after save and reload: {reloaded}");
        Assert.True(reloaded.GetProperty("imagesShown").GetInt32() == images, $"{notebook}: {reloaded}");

        var errors = seen.GetProperty("consoleErrors").EnumerateArray().Select(e => e.GetString()!)
            .Where(e => !upstream.Any(u => e.Contains(u.Pattern))).ToList();
        Assert.True(errors.Count == 0, $"{notebook}: console errors:\n{string.Join('\n', errors)}");
        var elsewhere = seen.GetProperty("requestsElsewhere").EnumerateArray().Select(e => e.GetString()!)
            .Where(r => !upstream.Any(u => r.Contains(u.Pattern))).ToList();
        Assert.True(elsewhere.Count == 0, $"{notebook}: requests to other origins:\n{string.Join('\n', elsewhere)}");
        return seen;
    }
}
