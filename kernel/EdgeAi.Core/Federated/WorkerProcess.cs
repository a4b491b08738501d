using System.Diagnostics;

namespace EdgeAi.Core.Federated;

/// <summary>
/// A node as a process of its own, <c>edgeai fed worker</c>, as a Job runs it: it shares nothing with the caller but the
/// store's folder and the data's. Its output is kept (the last lines) and passed on line by line; a failure is an
/// <see cref="EdgeAiException"/> that shows them.
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    /// <summary>The <c>edgeai</c> command a kernel or a script starts nodes with: this variable (the program, or its
    /// .dll), else <c>edgeai</c> where it is on PATH (the image); null where there is none.</summary>
    public const string CommandVariable = "EDGEAI_CLI";

    readonly Process process;
    readonly Queue<string> tail = new();
    readonly int node;

    WorkerProcess(IReadOnlyList<string> command, int node, string name, string store, string data, TimeSpan wait, Action<string> log)
    {
        this.node = node;
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1).Concat(["fed", "worker", "--node", $"{node}", "--name", name, "--store", store, "--data", data,
                                                          "--timeout", $"{(int)Math.Ceiling(wait.TotalSeconds)}"]))
            info.ArgumentList.Add(argument);
        process = new Process { StartInfo = info };
        void Line(string? line)
        {
            if (line is null)
                return;
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 20)
                    tail.Dequeue();
            }
            log(line);
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new EdgeAiException($"Cannot start node {node}'s worker ({string.Join(' ', command)} fed worker): {e.Message}. " +
                                      $"Set {CommandVariable} to the edgeai program.", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The command of <see cref="CommandVariable"/> or PATH's <c>edgeai</c>; null where neither is there.</summary>
    public static IReadOnlyList<string>? FindCommand()
    {
        if (Environment.GetEnvironmentVariable(CommandVariable) is { Length: > 0 } given)
            return given.EndsWith(".dll", StringComparison.Ordinal) ? ["dotnet", given] : [given];
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "edgeai")).FirstOrDefault(File.Exists);
        return onPath is null ? null : [onPath];
    }

    public static WorkerProcess Start(IReadOnlyList<string> command, int node, string name, string store, string data, TimeSpan wait, Action<string> log) =>
        new(command, node, name, store, data, wait, log);

    /// <summary>Waits for the worker to finish; a non-zero exit throws with its last lines. Cancelled, it is killed.</summary>
    public async Task WaitAsync(CancellationToken cancel)
    {
        try
        {
            await process.WaitForExitAsync(cancel);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }
        if (process.ExitCode != 0)
        {
            string last;
            lock (tail)
                last = string.Join("\n", tail);
            throw new EdgeAiException($"Node {node}'s worker process exited with code {process.ExitCode}:\n{last}");
        }
    }

    void Kill()
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }   // already gone
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }
}
