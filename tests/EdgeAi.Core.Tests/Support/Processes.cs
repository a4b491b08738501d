using System.Diagnostics;

namespace EdgeAi.Core.Tests.Support;

public static class Processes
{
    /// <summary>Runs a program to completion; fails the test with its output when it exits non-zero.</summary>
    public static string Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) { process.Kill(true); throw new TimeoutException($"{file} timed out"); }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Debian's Python, which has python3-torch (a pyenv shim on PATH may not).</summary>
    public const string Python = "/usr/bin/python3";
}
