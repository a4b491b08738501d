using System.Text.Json.Nodes;
using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>
/// Charts that survive saving (docs/internals/plotly.md): an executed notebook stays small enough to commit and mail, every chart
/// carries its Plotly figure and a static picture, and where no script runs (nbconvert's HTML, read with
/// JavaScript off in Chromium) each chart is that picture, not an empty box.
/// </summary>
public sealed class SavedChartTests(ExecutedNotebooks executed)
{
    // The notebooks and their charts: training curves; confusion matrix and probabilities; train vs load; three
    // federations' accuracy per round and the confusion matrix of one.
    static readonly (string Name, int Charts)[] Charts = [("mnist_training.ipynb", 1), ("mnist_prediction.ipynb", 2), ("cluster.ipynb", 1), ("federated.ipynb", 4)];
    public static TheoryData<string, int> Notebooks() => new(Charts);

    [Fact]
    public void An_executed_notebook_is_small_enough_to_mail_and_carries_no_plotly_js()
    {
        foreach (var (name, _) in Charts)
        {
            var path = Path.Combine(executed.Output, name);
            executed.Open(name);
            var bytes = new FileInfo(path).Length;
            Report.Line("notebooks", $"executed {name}: {bytes / 1024.0:N0} KiB");
            Assert.True(bytes < 1_000_000, $"{name} is {bytes:N0} bytes");
            Assert.DoesNotContain("plotly.js v", File.ReadAllText(path));   // the bundle's header
        }
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Every_chart_carries_its_figure_and_its_picture(string name, int charts)
    {
        var outputs = executed.Open(name).Cells.Where(c => (string)c["cell_type"]! == "code")
            .SelectMany(c => c["outputs"]!.AsArray()).Select(o => o!["data"]).OfType<JsonObject>()
            .Where(d => d["text/html"] is { } html && Text(html).Contains("class=\"edgeai-chart\"")).ToList();
        Assert.Equal(charts, outputs.Count);
        Assert.All(outputs, data =>
        {
            var figure = JsonNode.Parse(Text(data["application/vnd.plotly.v1+json"]!))!;
            Assert.NotEmpty(figure["data"]!.AsArray());
            Assert.StartsWith("<?xml", Text(data["image/svg+xml"]!));
        });
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Where_no_script_runs_each_chart_shows_its_picture(string name, int charts)
    {
        executed.Open(name);
        using var folder = new TempDirectory();
        Processes.Run(Processes.Python, ["-m", "nbconvert", "--to", "html", "--output-dir", folder.Path, Path.Combine(executed.Output, name)]);
        var html = Path.Combine(folder.Path, Path.ChangeExtension(name, ".html"));
        var shots = Path.Combine(RealData.RepositoryRoot, ".lab", "ui");
        Directory.CreateDirectory(shots);
        var view = NotebookInBrowser.View(new Uri(html).AbsoluteUri, Path.Combine(shots, $"nbconvert-no-scripts-{Path.GetFileNameWithoutExtension(name)}"), scripts: false);
        Assert.True(view.GetProperty("charts").GetInt32() == charts, view.ToString());
        Assert.True(view.GetProperty("chartsAsPictures").GetInt32() == charts, $"{name}: not every chart shows its picture: {view}");
        Assert.Equal(0, view.GetProperty("chartsDrawn").GetInt32());
    }

    static string Text(JsonNode node) => node is JsonArray lines ? string.Concat(lines.Select(l => (string)l!)) : (string)node!;
}
