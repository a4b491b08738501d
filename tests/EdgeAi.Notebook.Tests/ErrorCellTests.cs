using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>Errors in cells: one clear paragraph, no stack trace, and the kernel goes on.</summary>
public sealed class ErrorCellTests(ExecutedNotebooks executed)
{
    static string Notebook(string name) => Path.Combine(AppContext.BaseDirectory, "Notebooks", name);

    [Fact]
    public void AnErrorCellLeavesTheKernelAbleToRunTheNextCell()
    {
        var output = executed.TempPath("errors-out");
        var (exit, log) = Lab.Run(executed.TempPath("errors-books"), "exec", Notebook("errors.ipynb"), "--out", output);
        Assert.True(exit == 0, log);
        var nb = new ExecutedNotebook(Path.Combine(output, "errors.ipynb"));

        var badOptions = Assert.Single(ExecutedNotebook.Errors(nb.CodeCell("#!mnist-train")));
        var message = (string)badOptions["evalue"]! + string.Concat(badOptions["traceback"]!.AsArray().Select(t => (string)t!));
        Assert.Contains("epochs 0 is outside 1-100", message);
        Assert.Contains("--threads 'many' is not a whole number", message);
        Assert.DoesNotContain("   at ", message);

        var missing = Assert.Single(ExecutedNotebook.Errors(nb.CodeCell("#!mnist-load")));
        Assert.Contains("No model named 'nosuch'", (string)missing["evalue"]! + missing["traceback"]!.ToJsonString());

        Assert.Contains(ExecutedNotebook.Outputs(nb.CodeCell("1 + 1"), "text/plain").Concat(ExecutedNotebook.Outputs(nb.CodeCell("1 + 1"), "text/html")),
                        v => v.Contains('2'));
    }

    [Fact]
    public void LabExecStopsAtTheFirstFailingCellAndSaysWhich()
    {
        var (exit, log) = Lab.Run(executed.TempPath("failing-books"), "exec", Notebook("failing.ipynb"), "--out", executed.TempPath("failing-out"));
        Assert.NotEqual(0, exit);
        Assert.Contains("#!mnist-load nosuch", log);
        Assert.Contains("failing.ipynb failed", log);
    }
}
