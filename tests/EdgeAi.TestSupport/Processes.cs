using System.Diagnostics;
using System.Text.RegularExpressions;

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
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
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

/// <summary>
/// A program a test talks to while it runs (`./lab up`, a Jupyter server): both streams collected in order, and every
/// wait on it bounded, failing as soon as the program exits, with its last lines. A wait that only watched the clock
/// would sit out its whole timeout behind a program that had already failed, and say nothing of why.
/// </summary>
public sealed class RunningProcess : IDisposable
{
    readonly Process process;
    readonly List<string> lines = [];
    readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    event Action<string>? LineReceived;

    RunningProcess(ProcessStartInfo info, string name)
    {
        Name = name;
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        // Exited can fire before the last lines are read; WaitForExit() returns once both streams are drained.
        process.Exited += (_, _) => Task.Run(() => { process.WaitForExit(); exited.TrySetResult(); });
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Starts <paramref name="info"/>; <paramref name="name"/> is how failures name it (default: the command).</summary>
    public static RunningProcess Start(ProcessStartInfo info, string? name = null) =>
        new(info, name ?? string.Join(' ', info.ArgumentList.Prepend(Path.GetFileName(info.FileName))));

    public string Name { get; }
    public int Id => process.Id;
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;

    /// <summary>Everything it printed so far, both streams in the order they came.</summary>
    public string Output
    {
        get { lock (lines) return string.Join('\n', lines); }
    }

    /// <summary>Its last lines, for a failure message.</summary>
    public string Tail(int count = 40)
    {
        lock (lines)
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Count - count)));
    }

    public bool WaitForExit(TimeSpan timeout) => process.WaitForExit(timeout);

    /// <summary>The first line that matches <paramref name="pattern"/>, printed already or to come; fails the test
    /// when the program exits first or <paramref name="timeout"/> passes.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout, string what)
    {
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Watch(string line)
        {
            if (pattern.Match(line) is { Success: true } match)
                found.TrySetResult(match);
        }
        LineReceived += Watch;
        try
        {
            lock (lines)
                foreach (var line in lines)
                    Watch(line);
            await Task.WhenAny(found.Task, exited.Task, Task.Delay(timeout));
            if (found.Task.IsCompleted)
                return await found.Task;
            throw Failure(what, timeout);
        }
        finally
        {
            LineReceived -= Watch;
        }
    }

    /// <summary>Retries <paramref name="probe"/> until it succeeds (an HTTP error or a refused connection means not yet);
    /// fails the test when the program exits first or <paramref name="timeout"/> passes.</summary>
    public Task WaitUntilAsync(Func<Task> probe, TimeSpan timeout, string what) =>
        Waits.UntilAsync(async () => { await probe(); return true; }, timeout, Name, what,
                         () => exited.Task.IsCompleted ? $"exited {process.ExitCode}" : null, () => Tail());

    Exception Failure(string what, TimeSpan timeout) =>
        Waits.Failure(Name, exited.Task.IsCompleted ? $"exited {process.ExitCode}" : null, what, timeout, Tail());

    void Add(string? line)
    {
        if (line is null)
            return;
        lock (lines)
            lines.Add(line);
        LineReceived?.Invoke(line);
    }

    public void Dispose() => process.Dispose();
}

/// <summary>
/// How a test waits for something a program it started has to do (a server to answer, a container to be healthy):
/// a probe retried every half second, bounded by a timeout, and given up at once when the program has ended, with
/// the program's last lines in the failure.
/// </summary>
public static class Waits
{
    /// <param name="ready">true when done; false, an HTTP error or a refused connection: not yet.</param>
    /// <param name="ended">null while the program runs, else how it ended ("exited 1", "is exited").</param>
    /// <param name="lastLines">what the program printed last, for the failure.</param>
    public static async Task UntilAsync(Func<Task<bool>> ready, TimeSpan timeout, string who, string what,
                                        Func<string?> ended, Func<string> lastLines)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (ended() is { } how)
                throw Failure(who, how, what, timeout, lastLines());
            try
            {
                if (await ready())
                    return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (clock.Elapsed < timeout) { }   // one request's own timeout
            await Task.Delay(500);
        }
        throw Failure(who, ended(), what, timeout, lastLines());
    }

    public static Exception Failure(string who, string? ended, string what, TimeSpan timeout, string lastLines) =>
        new Xunit.Sdk.XunitException((ended is null ? $"{who} did not {what} within {timeout.TotalSeconds:F0} s" : $"{who} {ended} before it would {what}")
                                     + $"; its last lines:\n{lastLines}");
}
