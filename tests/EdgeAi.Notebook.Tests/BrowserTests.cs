using System.Diagnostics;
using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>
/// Both notebooks in a real browser, Debian's Chromium driven by puppeteer-core (TestSupport's NotebookInBrowser), against
/// `./lab up` (classic Notebook 6.4, Debian 12's Jupyter): Run All from the menu; every chart drawn as SVG and the
/// digit images shown; no error output; no console error and no request leaving the server but the upstream ones
/// listed below; save, reload, and the charts are visible again; an untrusted copy shows each chart's static picture.
/// Screenshots are kept in .lab/ui/.
/// </summary>
public sealed class BrowserTests : IDisposable
{
    const string Token = "edgeai-browser-token-3b7e";
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    /// <summary>Console errors and requests of code that is not ours, each with why it is there. Anything else fails.</summary>
    static readonly NotebookInBrowser.Upstream[] Upstream =
    [
        new("/nbextensions/widgets/notebook/js/extension.js",
            "Debian 12's notebook configuration enables the ipywidgets nbextension, which no package installs"),
        new(":2048/discovery",
            "dotnet-interactive's bootstrap script probes its HTTP side server, which the launcher moved to a private Unix socket (docs/security.md)"),
        new("undefinedresources/dotnet-interactive.js",
            "the same bootstrap, after its probe failed, asks for its script at an undefined address"),
    ];

    [Fact]
    public async Task Both_notebooks_run_all_draw_their_charts_and_show_them_again_after_save_and_reload()
    {
        var shots = Path.Combine(RealData.RepositoryRoot, ".lab", "ui");
        Directory.CreateDirectory(shots);
        var port = Ports.Free();
        var info = Lab.Start(temp.Combine("books"), "up", "--port", port.ToString());
        info.Environment["JUPYTER_TOKEN"] = Token;
        using var lab = Lab.StartRunning(info);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            await lab.WaitUntilAsync(async () => (await http.GetAsync($"api/status?token={Token}")).EnsureSuccessStatusCode(), Lab.StartTimeout, "serve");

            // The report's order: train (writes the store), then predict in a notebook of its own.
            foreach (var (notebook, charts, images) in new[] { ("mnist_training", 1, 0), ("mnist_prediction", 2, 8) })
            {
                var seen = NotebookInBrowser.RunAndCheck("classic", http.BaseAddress, Token, $"notebooks/{notebook}.ipynb",
                                                         Path.Combine(shots, $"classic-{notebook}"), charts, images, Upstream);
                Assert.True(seen.GetProperty("reloaded").GetProperty("trusted").GetBoolean(), $"{notebook} is not trusted after saving");
                Report.Line("browser", $"classic Notebook, {notebook}: {charts} chart(s) drawn and {images} digit image(s) shown, again after save and reload; screenshots in .lab/ui/classic-{notebook}-*.png");
                var untrusted = await NotebookInBrowser.ViewUntrustedCopyAsync("classic", http.BaseAddress, Token, $"notebooks/{notebook}.ipynb",
                                                                               Path.Combine(shots, $"classic-untrusted-{notebook}"), charts);
                Assert.False(untrusted.GetProperty("trusted").GetBoolean());
                Report.Line("browser", $"classic Notebook, an untrusted copy of {notebook}: {charts} static picture(s) shown, no script run; .lab/ui/classic-untrusted-{notebook}.png");
            }
        }
        finally
        {
            Process.Start("kill", ["-INT", lab.Id.ToString()])!.WaitForExit();
            lab.WaitForExit(TimeSpan.FromSeconds(60));
        }
    }
}
