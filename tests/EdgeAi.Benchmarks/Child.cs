using System.Diagnostics;
using System.Text.Json;

/// <summary>Runs one measurement in a process of its own (so peak RSS is that run's) and reads the JSON line it
/// prints last.</summary>
static class Child
{
    public static JsonElement Run(string file, string[] arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        TryRun(file, arguments, environment, out var error)
        ?? throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {error}");

    /// <summary>The run's JSON line, or null when it failed; then ERROR is the last line it wrote to stderr.</summary>
    public static JsonElement? TryRun(string file, string[] arguments, IReadOnlyDictionary<string, string?>? environment, out string error)
    {
        var output = Output(file, arguments, environment, out var exitCode, out var standardError);
        var last = output.Trim().Split('\n')[^1];
        var errors = standardError.Trim().Split('\n');
        error = exitCode == 0 ? "no JSON line" : $"exit code {exitCode}: {errors[^1]}";
        return exitCode == 0 && last.StartsWith('{') ? JsonDocument.Parse(last).RootElement.Clone() : null;
    }

    public static string Output(string file, string[] arguments, IReadOnlyDictionary<string, string?>? environment, out int exitCode) =>
        Output(file, arguments, environment, out exitCode, out _);

    public static string Output(string file, string[] arguments, IReadOnlyDictionary<string, string?>? environment, out int exitCode,
                                out string standardError)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value is null)
                info.Environment.Remove(name);
            else
                info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        exitCode = process.ExitCode;
        standardError = error.Result;
        return output;
    }
}
