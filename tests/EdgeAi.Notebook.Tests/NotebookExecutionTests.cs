using System.Globalization;
using System.Text.RegularExpressions;
using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>The report's two notebooks (and the cluster and federated ones) executed in the real kernel.</summary>
public sealed class NotebookExecutionTests(ExecutedNotebooks executed)
{
    static double Percent(string html, string pattern) =>
        double.Parse(Regex.Match(html, pattern).Groups[1].Value, CultureInfo.InvariantCulture) / 100;

    [Fact]
    public void TrainingNotebookTrainsChartsAndSavesTwoVersions()
    {
        var nb = executed.Open("mnist_training.ipynb");
        var load = nb.CodeCell("#r \"nuget: EdgeAi.Interactive,");
        Assert.Contains(ExecutedNotebook.Outputs(load, "text/html"), h => h.Contains("EdgeAi.Interactive</code> loaded"));

        var train = nb.CodeCell("#!mnist-train");
        var html = ExecutedNotebook.Outputs(train, "text/html");
        Assert.Contains(html, h => h.Contains("class=\"edgeai-chart\"") && h.Contains("Plotly.newPlot"));
        var saved = Assert.Single(html, h => h.Contains("Saved <b>mnist-mlp@v1</b>"));
        Assert.True(Percent(saved, @"test accuracy <b>([\d.]+) %") >= 0.84, saved);

        var api = nb.CodeCell("using EdgeAi.Core.Training;");
        Assert.Contains(ExecutedNotebook.Outputs(api, "text/plain"), t => t.StartsWith("saved mnist-mlp@v2"));
        Assert.True(Directory.Exists(Path.Combine(executed.Store, "mnist-mlp", "v000002")));
    }

    [Fact]
    public void ExecutedCopiesAreSignedForTheLabsServersAndAnEditedCopyIsNot()
    {
        _ = executed.Open("mnist_training.ipynb");
        var notary = Path.Combine(executed.Books, ".jupyter");
        const string check = "import sys, nbformat; from nbformat.sign import NotebookNotary\n" +
                             "notary = NotebookNotary(data_dir=sys.argv[1])\n" +
                             "print(*(notary.check_signature(nbformat.read(p, 4)) for p in sys.argv[2:]))";
        var copies = new[] { "mnist_training.ipynb", "mnist_prediction.ipynb", "cluster.ipynb", "federated.ipynb" }.Select(n => Path.Combine(executed.Output, n)).ToArray();
        Assert.Equal("True True True True", Processes.Run(Processes.Python, ["-c", check, notary, .. copies]).Trim());

        // A copy whose outputs were changed after signing is not trusted: the signature covers the content.
        using var temp = new TempDirectory();
        var edited = temp.Combine("edited.ipynb");
        File.WriteAllText(edited, File.ReadAllText(copies[0]).Replace("Saved <b>mnist-mlp@v1</b>", "Saved <b>mnist-mlp@v9</b>"));
        Assert.Equal("False", Processes.Run(Processes.Python, ["-c", check, notary, edited]).Trim());
    }

    [Fact]
    public void PredictionNotebookLoadsTheSharedWeightsAndShowsDigits()
    {
        var nb = executed.Open("mnist_prediction.ipynb");
        var load = Assert.Single(ExecutedNotebook.Outputs(nb.CodeCell("#!mnist-load"), "text/html"));
        Assert.Contains("mnist-mlp@v2", load);
        Assert.Contains("verified", load);

        var eval = ExecutedNotebook.Outputs(nb.CodeCell("#!mnist-eval"), "text/html");
        Assert.True(Percent(eval[0], @"test accuracy <b>([\d.]+) %") >= 0.84, eval[0]);
        Assert.Contains(eval, h => h.Contains("class=\"edgeai-chart\"") && h.Contains("\"heatmap\""));

        var predict = ExecutedNotebook.Outputs(nb.CodeCell("#!mnist-predict"), "text/html");
        Assert.Equal(8, Regex.Matches(predict[0], "<img src=\"data:image/png;base64,").Count);
        Assert.Contains(predict, h => h.Contains("edgeai-chart") && h.Contains("\"bar\""));

        var api = Assert.Single(ExecutedNotebook.Outputs(nb.CodeCell("using EdgeAi.Core.Evaluation;"), "text/plain"));
        Assert.Matches(@"x_test\[0\]: predicted \d", api);
    }

    [Fact]
    public void ClusterNotebookSaysWhereItRunsAndChartsTrainingAgainstLoading()
    {
        var nb = executed.Open("cluster.ipynb");
        Assert.Contains("Not running in a Kubernetes cluster", Assert.Single(ExecutedNotebook.Outputs(nb.CodeCell("#!cluster"), "text/html")));
        var chart = Assert.Single(ExecutedNotebook.Outputs(nb.CodeCell("EdgeAi.Interactive.Plots"), "text/html"));
        Assert.Contains("train (from the manifest)", chart);
        Assert.Contains("load (measured now)", chart);
    }

    [Fact]
    public void FederatedNotebookTrainsThreeFederationsAndShowsWhatEachAveraged()
    {
        var nb = executed.Open("federated.ipynb");
        const string fed = "#!fed-train --nodes 4 --rounds 3 --local-epochs 1 --partition";
        foreach (var (name, cell) in new[] { ("fed-iid", $"{fed} iid"), ("fed-dirichlet", $"{fed} dirichlet:0.5 --seed"), ("fed-prox", $"{fed} dirichlet:0.5 --strategy fedprox") })
        {
            var html = ExecutedNotebook.Outputs(nb.CodeCell(cell), "text/html");
            Assert.Contains(html, h => h.Contains("round 3/3 done"));
            Assert.Contains(html, h => h.Contains("class=\"edgeai-chart\""));
            var saved = Assert.Single(html, h => h.Contains($"Saved the global model as <b>{name}@v4</b>"));
            // Three IID rounds of one local epoch are three passes over the data, as the report's three epochs.
            Assert.True(Percent(saved, @"test accuracy <b>([\d.]+) %") >= (name == "fed-iid" ? 0.83 : 0.70), saved);
        }
        var listing = string.Concat(ExecutedNotebook.Outputs(nb.CodeCell("var store = EdgeAi.Interactive.Mnist.Store;"), "text/plain"));
        Assert.Equal(12, Regex.Matches(listing, @"node \d: +[\d,]+ images").Count);   // three models, four updates each
        Assert.Contains("fed-prox@v4: test accuracy", listing);
        var load = Assert.Single(ExecutedNotebook.Outputs(nb.CodeCell("#!mnist-load fed-iid"), "text/html"));
        Assert.Contains("fed-iid@v4", load);
        Assert.Contains("test accuracy", Assert.Single(ExecutedNotebook.Outputs(nb.CodeCell("#!mnist-eval"), "text/html"), h => h.Contains("fed-iid@v4")));
    }

    [Fact]
    public void ExecutedCopiesKeepTheNotebooksNames()
    {
        _ = executed.Open("mnist_training.ipynb");
        Assert.Equal(["cluster.ipynb", "federated.ipynb", "mnist_prediction.ipynb", "mnist_training.ipynb"],
                     Directory.GetFiles(executed.Output).Select(Path.GetFileName).Order());
    }
}
