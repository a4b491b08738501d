using System.Diagnostics;
using System.Text.Json.Nodes;
using EdgeAi.Core.Tests.Support;

namespace EdgeAi.Notebook.Tests.Support;

/// <summary>Runs ./lab as a user would, with the store and data of the test.</summary>
public static class Lab
{
    public static string Script => Path.Combine(RealData.RepositoryRoot, "lab");

    public static ProcessStartInfo Start(string store, params string[] arguments)
    {
        var info = new ProcessStartInfo(Script)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RealData.RepositoryRoot,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["EDGEAI_WEIGHTS_DIR"] = store;
        info.Environment["EDGEAI_DATA_DIR"] = RealData.RequireFashionMnist();
        return info;
    }

    public static (int ExitCode, string Output) Run(string store, params string[] arguments)
    {
        using var process = Process.Start(Start(store, arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10))) { process.Kill(true); throw new TimeoutException("./lab " + string.Join(' ', arguments)); }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>An executed notebook's outputs.</summary>
public sealed class ExecutedNotebook(string path)
{
    readonly JsonObject notebook = JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    public IReadOnlyList<JsonObject> Cells => notebook["cells"]!.AsArray().Select(c => c!.AsObject()).ToList();

    public JsonObject CodeCell(string startsWith) =>
        Cells.Single(c => (string)c["cell_type"]! == "code" && Source(c).StartsWith(startsWith));

    public static string Source(JsonObject cell) => Text(cell["source"]);

    /// <summary>Every value of one MIME type among a cell's display and result outputs.</summary>
    public static IReadOnlyList<string> Outputs(JsonObject cell, string mime) =>
        cell["outputs"]!.AsArray().Select(o => o!["data"]?[mime]).Where(d => d is not null).Select(Text).ToList();

    public static IReadOnlyList<JsonObject> Errors(JsonObject cell) =>
        cell["outputs"]!.AsArray().Select(o => o!.AsObject()).Where(o => (string)o["output_type"]! == "error").ToList();

    static string Text(JsonNode? node) =>
        node is JsonArray lines ? string.Concat(lines.Select(l => (string)l!)) : (string?)node ?? "";
}
