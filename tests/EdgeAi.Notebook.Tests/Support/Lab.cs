using System.Diagnostics;

namespace EdgeAi.Notebook.Tests.Support;

/// <summary>Runs ./lab as a user would, with the shared volume (EDGEAI_BOOKS: notebooks/ and the store in
/// models/) and the data of the test.</summary>
public static class Lab
{
    public static string Script => Path.Combine(RealData.RepositoryRoot, "lab");

    public static string Store(string books) => Path.Combine(books, "models");

    public static ProcessStartInfo Start(string books, params string[] arguments)
    {
        var info = new ProcessStartInfo(Script)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RealData.RepositoryRoot,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["EDGEAI_BOOKS"] = books;
        info.Environment.Remove("EDGEAI_WEIGHTS_DIR");
        info.Environment["EDGEAI_DATA_DIR"] = RealData.RequireFashionMnist();
        return info;
    }

    /// <summary>Starts `./lab` and collects what it prints (both streams, in order) for the test to read as it runs.</summary>
    public static (Process Process, Func<string> Output) StartCollecting(ProcessStartInfo info)
    {
        var process = Process.Start(info)!;
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, () => { lock (log) return log.ToString(); });
    }

    public static (int ExitCode, string Output) Run(string books, params string[] arguments)
    {
        var result = Processes.Execute(Start(books, arguments), TimeSpan.FromMinutes(10));
        return (result.ExitCode, result.Output);
    }
}
