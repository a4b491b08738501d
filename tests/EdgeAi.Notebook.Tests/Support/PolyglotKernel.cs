using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace EdgeAi.Notebook.Tests.Support;

/// <summary>
/// dotnet-interactive started the way Polyglot Notebooks starts it: its own process in `stdio` mode, in the
/// notebook's folder, with none of our kernelspec's environment (no feed, no launcher). Commands go in as JSON lines,
/// events come out as JSON lines; each cell is one SubmitCode to the kernel its metadata names, and it is done when
/// CommandSucceeded or CommandFailed carries its token.
/// </summary>
public sealed class PolyglotKernel : IDisposable
{
    readonly Process process;
    readonly Channel<JsonNode> events = Channel.CreateUnbounded<JsonNode>();
    int nextToken;

    public PolyglotKernel(string workingDirectory, IDictionary<string, string> environment)
    {
        var interactive = Processes.Run(Path.Combine(RealData.RepositoryRoot, "scripts", "versions.sh"), "interactive").Trim();
        var dll = Path.Combine(environment["NUGET_PACKAGES"], "microsoft.dotnet-interactive", interactive, "tools", "net10.0", "any",
                               "Microsoft.DotNet.Interactive.App.dll");
        var info = Processes.Info("dotnet", [dll, "stdio", "--working-dir", workingDirectory]);
        info.RedirectStandardInput = info.RedirectStandardOutput = info.RedirectStandardError = true;
        foreach (var name in new[] { "JUPYTER_PATH", "RestoreAdditionalProjectSources", "EDGEAI_STATIC_DIR" })
            info.Environment.Remove(name);
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            { events.Writer.TryComplete(); return; }
            if (e.Data.StartsWith('{'))
                events.Writer.TryWrite(JsonNode.Parse(e.Data)!);
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Submits one cell and returns whether it succeeded, the failure's message, and what it displayed
    /// (each display as its formatted values, MIME type to value).</summary>
    public async Task<Cell> SubmitAsync(string code, string kernelName, TimeSpan timeout)
    {
        var token = $"cell-{++nextToken}";
        var command = new JsonObject
        {
            ["commandType"] = "SubmitCode",
            ["command"] = new JsonObject { ["code"] = code, ["targetKernelName"] = kernelName },
            ["token"] = token,
        };
        await process.StandardInput.WriteLineAsync(command.ToJsonString());
        await process.StandardInput.FlushAsync();
        var displays = new List<Dictionary<string, string>>();
        using var cancel = new CancellationTokenSource(timeout);
        await foreach (var e in events.Reader.ReadAllAsync(cancel.Token))
        {
            // Events of the commands a cell's command spawns carry tokens of its own with a suffix (cell-1.3).
            var eventToken = (string?)e["command"]?["token"];
            if (eventToken is null || !(eventToken == token || eventToken.StartsWith(token + ".")))
                continue;
            var type = (string)e["eventType"]!;
            if (type is "DisplayedValueProduced" or "DisplayedValueUpdated" or "ReturnValueProduced" or "StandardOutputValueProduced")
                displays.Add(e["event"]!["formattedValues"]!.AsArray().ToDictionary(v => (string)v!["mimeType"]!, v => (string)v!["value"]!));
            if (eventToken != token)
                continue;
            if (type == "CommandSucceeded")
                return new Cell(true, null, displays);
            if (type == "CommandFailed")
                return new Cell(false, (string?)e["event"]!["message"], displays);
        }
        throw new InvalidOperationException($"the kernel ended before answering: {code}");
    }

    public bool HasExited => process.HasExited;

    public void Dispose()
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
    }

    public sealed record Cell(bool Succeeded, string? Error, List<Dictionary<string, string>> Displays)
    {
        public IEnumerable<string> Values(string mimeType) => Displays.Where(d => d.ContainsKey(mimeType)).Select(d => d[mimeType]);
    }
}
