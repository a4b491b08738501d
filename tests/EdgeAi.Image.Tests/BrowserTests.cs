namespace EdgeAi.Image.Tests;

/// <summary>
/// Both notebooks in the image's JupyterLab, in a real browser (TestSupport's NotebookInBrowser: Debian's Chromium
/// driven by puppeteer-core): Run All from the menu, every chart drawn, the digits shown, no error output, save and
/// reload with the charts drawn again, an untrusted copy with each chart's static picture; no console error and no request to another origin except the upstream ones
/// below (docker/README.md, "JupyterLab offline", explains each). Screenshots are kept in .lab/ui/.
/// </summary>
public sealed class BrowserTests(LabImage image, RunningLab lab) : IClassFixture<RunningLab>
{
    static readonly NotebookInBrowser.Upstream[] Upstream =
    [
        new("cdnjs.cloudflare.com/ajax/libs/require.js",
            "dotnet-interactive's bootstrap script loads require.js from a CDN where the page has none (JupyterLab); offline it fails, harmlessly"),
        new("packages_running_lib_index_js",
            "Debian 13's JupyterLab 4.0.11 build: the running-sessions panel reads React from a shared module that is not there"),
        new("usr_share_nodejs_react-dom_index_js",
            "the same fault of Debian's build, as React reports it"),
        new("packages_notebook_lib_index_js",
            "Debian 13's JupyterLab 4.0.11 build: code of its notebook package reads a property of an undefined value while a panel renders"),
    ];

    [Fact]
    public async Task Both_notebooks_run_all_in_JupyterLab_and_draw_their_charts_again_after_save_and_reload()
    {
        image.EnsureBuilt();
        var shots = Path.Combine(RealData.RepositoryRoot, ".lab", "ui");
        Directory.CreateDirectory(shots);
        foreach (var (notebook, charts, images) in new[] { ("mnist_training", 1, 0), ("mnist_prediction", 2, 8) })
        {
            NotebookInBrowser.RunAndCheck("lab", lab.Url("/"), lab.Token, $"notebooks/{notebook}.ipynb",
                                          Path.Combine(shots, $"jupyterlab-{notebook}"), charts, images, Upstream);
            Report.Line("browser", $"JupyterLab in the image, {notebook}: {charts} chart(s) drawn and {images} digit image(s) shown, again after save and reload; screenshots in .lab/ui/jupyterlab-{notebook}-*.png");
            await NotebookInBrowser.ViewUntrustedCopyAsync("lab", lab.Url("/"), lab.Token, $"notebooks/{notebook}.ipynb",
                                                          Path.Combine(shots, $"jupyterlab-untrusted-{notebook}"), charts);
            Report.Line("browser", $"JupyterLab in the image, an untrusted copy of {notebook}: {charts} static picture(s) shown, no script run; .lab/ui/jupyterlab-untrusted-{notebook}.png");
        }
    }
}
