using System.Diagnostics;

namespace EdgeAi.Image.Tests.Support;

/// <summary>podman with the storage and settings the image build used (see containers.sh).</summary>
public sealed class Podman(IReadOnlyDictionary<string, string> environment)
{
    public IReadOnlyDictionary<string, string> Environment => environment;

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    public Result Run(TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo("podman");
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return Execute(info, timeout);
    }

    /// <summary>Runs a program to its end, capturing its output; kills it after <paramref name="timeout"/>.</summary>
    public static Result Execute(ProcessStartInfo info, TimeSpan timeout)
    {
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(true);
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} took over {timeout}:\n{stdout.Result}{stderr.Result}");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public Result Run(params string[] arguments) => Run(TimeSpan.FromMinutes(2), arguments);

    /// <summary>Runs and fails the test with podman's output when it exits non-zero.</summary>
    public string Check(params string[] arguments)
    {
        var result = Run(arguments);
        Assert.True(result.ExitCode == 0, $"podman {string.Join(' ', arguments)} exited {result.ExitCode}:\n{result.Output}");
        return result.Stdout;
    }
}
