using System.Diagnostics;

namespace EdgeAi.Notebook.Tests.Support;

/// <summary>Runs ./lab as a user would, with the store and data of the test.</summary>
public static class Lab
{
    public static string Script => Path.Combine(RealData.RepositoryRoot, "lab");

    public static ProcessStartInfo Start(string store, params string[] arguments)
    {
        var info = new ProcessStartInfo(Script)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RealData.RepositoryRoot,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["EDGEAI_WEIGHTS_DIR"] = store;
        info.Environment["EDGEAI_DATA_DIR"] = RealData.RequireFashionMnist();
        return info;
    }

    public static (int ExitCode, string Output) Run(string store, params string[] arguments)
    {
        var result = Processes.Execute(Start(store, arguments), TimeSpan.FromMinutes(10));
        return (result.ExitCode, result.Output);
    }
}
