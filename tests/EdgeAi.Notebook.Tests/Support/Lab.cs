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
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RealData.RepositoryRoot,
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        info.Environment["EDGEAI_BOOKS"] = books;
        info.Environment.Remove("EDGEAI_WEIGHTS_DIR");
        info.Environment["EDGEAI_DATA_DIR"] = RealData.RequireFashionMnist();
        return info;
    }

    /// <summary>How long a test waits for `./lab up` to serve: its first run installs, compiles and packs.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Starts `./lab` for the test to talk to while it runs; waits on it end when it exits (<see cref="RunningProcess"/>).</summary>
    public static RunningProcess StartRunning(ProcessStartInfo info) =>
        RunningProcess.Start(info, "./lab " + string.Join(' ', info.ArgumentList));

    public static (int ExitCode, string Output) Run(string books, params string[] arguments)
    {
        var result = Processes.Execute(Start(books, arguments), TimeSpan.FromMinutes(10));
        return (result.ExitCode, result.Output);
    }
}
