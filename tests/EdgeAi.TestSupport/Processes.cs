using System.Diagnostics;

namespace EdgeAi.TestSupport;

/// <summary>Child processes, run the one way every test runs them: feed standard input, drain both pipes (a full pipe
/// would block the child), wait, and kill the whole tree when it overruns.</summary>
public static class Processes
{
    /// <summary>Debian's Python, which has python3-torch and Jupyter (a pyenv shim on PATH may not).</summary>
    public const string Python = "/usr/bin/python3";

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    public static ProcessStartInfo Info(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        return info;
    }

    /// <summary>Runs to the end and returns what it printed; throws a <see cref="TimeoutException"/> with its output
    /// after <paramref name="timeout"/>.</summary>
    public static Result Execute(ProcessStartInfo info, TimeSpan timeout, string? input = null)
    {
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        info.RedirectStandardInput = input is not null;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} took over {timeout}:\n{stdout.Result}{stderr.Result}");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Execute(string file, params string[] arguments) => Execute(Info(file, arguments), TimeSpan.FromMinutes(5));

    /// <summary>Runs a program to completion; fails the test with its output when it exits non-zero.</summary>
    public static string Run(string file, params string[] arguments)
    {
        var result = Execute(file, arguments);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {result.ExitCode}:\n{result.Output}");
        return result.Stdout;
    }
}
