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

    public Result Run(TimeSpan timeout, params string[] arguments) => Run(timeout, null, arguments);

    Result Run(TimeSpan timeout, string? input, string[] arguments)
    {
        var info = new ProcessStartInfo("podman");
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return Execute(info, timeout, input);
    }

    /// <summary>Runs a program to its end, capturing its output; kills it after <paramref name="timeout"/>.</summary>
    public static Result Execute(ProcessStartInfo info, TimeSpan timeout, string? input = null)
    {
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        info.RedirectStandardInput = input is not null;
        using var process = Process.Start(info)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
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
    public string Check(params string[] arguments) => CheckWithInput(null, arguments);

    /// <summary><see cref="Check"/> with <paramref name="input"/> on podman's standard input (e.g. `exec -i`).</summary>
    public string CheckWithInput(string? input, params string[] arguments)
    {
        var result = Run(TimeSpan.FromMinutes(2), input, arguments);
        Assert.True(result.ExitCode == 0, $"podman {string.Join(' ', arguments)} exited {result.ExitCode}:\n{result.Output}");
        return result.Stdout;
    }
}
