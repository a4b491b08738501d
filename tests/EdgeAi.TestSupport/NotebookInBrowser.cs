using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

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

    /// <summary>
    /// A notebook as it arrives from elsewhere (mailed, committed, edited outside the lab): a copy of
    /// <paramref name="notebook"/> with a change of its own, saved without the trust the server marked on its cells,
    /// so Jupyter neither signs it nor runs its scripts. Opened in <paramref name="ui"/> without running it, each chart must show its static
    /// picture and none may be drawn. Returns what the reader sees.
    /// </summary>
    public static async Task<JsonElement> ViewUntrustedCopyAsync(string ui, Uri server, string token, string notebook, string screenshot, int charts)
    {
        using var http = new HttpClient { BaseAddress = server };
        var model = (await http.GetFromJsonAsync<JsonObject>($"api/contents/{notebook}?token={token}&type=notebook&content=1"))!;
        var content = model["content"]!.AsObject();
        // Trust is by content (the signatures database holds digests), so a byte-identical copy would be trusted.
        foreach (var cell in content["cells"]!.AsArray())
            cell!["metadata"]!.AsObject().Remove("trusted");
        content["metadata"]!["edgeai_test"] = "received by mail";
        var copy = $"{Path.GetDirectoryName(notebook)}/from-elsewhere-{Path.GetFileName(notebook)}".TrimStart('/');
        (await http.PutAsJsonAsync($"api/contents/{copy}?token={token}", new JsonObject
        { ["type"] = "notebook", ["format"] = "json", ["content"] = content.DeepClone() })).EnsureSuccessStatusCode();

        var page = ui == "classic" ? $"{server}notebooks/{copy}?token={token}" : $"{server}lab/tree/{copy}?token={token}";
        var view = View(page, screenshot, scripts: true);
        Assert.True(view.GetProperty("charts").GetInt32() == charts, $"{copy}: {view}");
        Assert.True(view.GetProperty("chartsAsPictures").GetInt32() == charts, $"{copy}: an untrusted notebook's charts are not visible as pictures: {view}");
        Assert.True(view.GetProperty("chartsDrawn").GetInt32() == 0, $"{copy}: an untrusted notebook ran scripts: {view}");
        return view;
    }

    /// <summary>Opens <paramref name="url"/> (a notebook page, or a file such as nbconvert's HTML) without running
    /// anything, with or without JavaScript (Browser/notebook_view.mjs); returns what the reader sees (look.mjs) and
    /// keeps a screenshot at <paramref name="screenshot"/>.png.</summary>
    public static JsonElement View(string url, string screenshot, bool scripts)
    {
        var script = Path.Combine(RealData.RepositoryRoot, "tests", "EdgeAi.TestSupport", "Browser", "notebook_view.mjs");
        var result = Processes.Execute(Processes.Info("node", [script, url, screenshot, .. scripts ? Array.Empty<string>() : ["--no-scripts"]]), TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, $"the browser could not show {url}:\n{result.Output}");
        return JsonDocument.Parse(result.Stdout.Trim().Split('\n')[^1]).RootElement.GetProperty("view").Clone();
    }
}
