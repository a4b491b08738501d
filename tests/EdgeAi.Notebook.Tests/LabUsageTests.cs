using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>`./lab` as a new user first types it: each command's --help, and a command line it cannot run, which exits
/// 2 whatever is wrong with it (a step that fails exits 1). None of these installs or builds anything.</summary>
public sealed class LabUsageTests
{
    [Theory]
    [InlineData("up", "  up [--port 8888]")]
    [InlineData("exec", "  exec NOTEBOOK... [--out DIR]")]
    [InlineData("test", "  test --arm64 --torchsharp DIR")]
    [InlineData("bench", "        [--repetitions N]")]
    [InlineData("setup", "  setup ")]
    [InlineData("feed", "  feed [--remove]")]
    [InlineData("fed", "  fed [--nodes 4] [--rounds 10]")]
    public void Each_commands_help_prints_its_usage_and_exits_0(string command, string line)
    {
        var result = Lab(command, "--help");
        Assert.True(result.ExitCode == 0, $"./lab {command} --help exited {result.ExitCode}:\n{result.Output}");
        Assert.StartsWith($"Usage of ./lab {command}", result.Stdout);
        Assert.Contains(line, result.Stdout);
        // Its own entries only: the lines of the other commands, and the environment, are ./lab --help's.
        var others = new[] { "up", "exec", "feed", "test", "bench", "fed", "setup" }.Where(c => c != command);
        Assert.All(result.Stdout.Split('\n').Skip(1), l => Assert.DoesNotContain(others, c => l.StartsWith($"  {c} ")));
        Assert.DoesNotContain("EDGEAI_BOOKS", result.Stdout);
    }

    [Theory]
    [InlineData("", "Usage: ./lab COMMAND")]
    [InlineData("bogus", "unknown command: bogus")]
    [InlineData("up --bogus", "unknown option for up: --bogus")]
    [InlineData("up --port", "--port needs a number")]
    [InlineData("up --port 70000", "--port 70000 is not a port number (1-65535)")]
    [InlineData("exec", "exec needs at least one notebook")]
    [InlineData("feed --bogus", "unknown option for feed: --bogus")]
    [InlineData("test --arm64", "--arm64 needs --torchsharp DIR")]
    [InlineData("bench --threads many", "--threads needs a whole number from 1, not 'many'")]
    [InlineData("setup now", "setup takes no options: now")]
    [InlineData("fed --nodes 0", "--nodes 0 is outside 1-64")]
    [InlineData("fed --nodes", "--nodes needs a value")]
    public void A_command_line_it_cannot_run_exits_2_saying_why(string arguments, string message)
    {
        var result = Lab(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(result.ExitCode == 2, $"./lab {arguments} exited {result.ExitCode}:\n{result.Output}");
        Assert.Contains(message, result.Stderr);
    }

    static Processes.Result Lab(params string[] arguments)
    {
        var info = Processes.Info(Support.Lab.Script, arguments);
        info.WorkingDirectory = RealData.RepositoryRoot;
        return Processes.Execute(info, TimeSpan.FromMinutes(1), input: "");
    }
}
