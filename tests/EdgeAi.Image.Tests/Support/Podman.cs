namespace EdgeAi.Image.Tests.Support;

/// <summary>podman with the storage and settings the image build used (see containers.sh).</summary>
public sealed class Podman(IReadOnlyDictionary<string, string> environment)
{
    public IReadOnlyDictionary<string, string> Environment => environment;

    public Processes.Result Run(TimeSpan timeout, params string[] arguments) => Run(timeout, null, arguments);

    Processes.Result Run(TimeSpan timeout, string? input, string[] arguments)
    {
        var info = Processes.Info("podman", arguments);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        return Processes.Execute(info, timeout, input);
    }

    public Processes.Result Run(params string[] arguments) => Run(TimeSpan.FromMinutes(2), arguments);

    /// <summary>For <see cref="Waits"/>: null while the container runs, else its state ("exited", "stopped").</summary>
    public Func<string?> Ended(string container) => () =>
        Run("inspect", "--format", "{{.State.Status}}", container) is { ExitCode: 0 } state && state.Stdout.Trim() == "running"
            ? null : $"is {Run("inspect", "--format", "{{.State.Status}} (exit code {{.State.ExitCode}})", container).Output.Trim()}";

    /// <summary>For <see cref="Waits"/>: the container's last lines of output.</summary>
    public Func<string> LastLines(string container) => () => Run("logs", "--tail", "40", container).Output;

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
