using System.Text.Json.Nodes;

namespace EdgeAi.TestSupport;

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
