using System.Diagnostics;
using System.Text.RegularExpressions;

namespace EdgeAi.Image.Tests.Support;

/// <summary>
/// docker/compose.yaml brought up with podman-compose: two lab replicas from the test image, nginx in front,
/// one named volume. The compose file names a public nginx image; with no registry here, nginx/Containerfile
/// builds a stand-in under that name (Debian's nginx with the official image's layout).
/// </summary>
public sealed partial class ComposeLab : IAsyncLifetime
{
    readonly LabImage image;
    readonly string composeFile = Path.Combine(RealData.RepositoryRoot, "docker", "compose.yaml");

    public ComposeLab(LabImage image) => this.image = image;

    public string Project { get; } = $"edgeaitest{Environment.ProcessId}";
    public string Token { get; } = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
    public Uri Proxy { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (LabImage.Unavailable is not null)
            return;
        var compose = File.ReadAllText(composeFile);
        var nginx = NginxImage().Match(compose).Groups[1].Value;
        if (image.Podman.Run("image", "exists", $"docker.io/library/{nginx}").ExitCode != 0)
            Check(image.Podman.Run(TimeSpan.FromMinutes(5), "build", "-t", $"docker.io/library/{nginx}",
                Path.Combine(RealData.RepositoryRoot, "tests", "EdgeAi.Image.Tests", "nginx")));
        image.Podman.Check("tag", image.Image, $"localhost/{LabImageName().Match(compose).Groups[1].Value}");

        var port = Ports.Free();
        Proxy = new Uri($"http://127.0.0.1:{port}/");
        var clock = Stopwatch.StartNew();
        Check(Compose(TimeSpan.FromMinutes(3), "up", "-d"));
        await WaitUntilServingAsync();
        Report.Line("image", $"compose: both replicas healthy and nginx answering {clock.Elapsed.TotalSeconds:F1} s after `podman-compose up`");
    }

    /// <summary>Restarts every container of the project, replicas first, as `docker compose restart` or a host
    /// reboot does, and waits until the lab answers through nginx again. (nginx resolves the replicas' names when it
    /// starts: a restarted replica can come back at another address, so the proxy restarts after them.)</summary>
    public async Task RestartAsync()
    {
        image.Podman.Check("restart", $"{Project}_lab_1", $"{Project}_lab_2");
        image.Podman.Check("restart", $"{Project}_proxy_1");
        await WaitUntilServingAsync();
    }

    async Task WaitUntilServingAsync()
    {
        // Both replicas healthy before the first request through nginx: a replica that refuses a connection
        // is taken out for fail_timeout (nginx.conf), and a kernel created meanwhile lands on the other one.
        foreach (var replica in new[] { $"{Project}_lab_1", $"{Project}_lab_2" })
            await Waits.UntilAsync(() => Task.FromResult(image.Podman.Run("healthcheck", "run", replica).ExitCode == 0),
                                   TimeSpan.FromSeconds(120), $"the container {replica}", "be healthy", image.Podman.Ended(replica), image.Podman.LastLines(replica));
        using var http = new HttpClient();
        var proxy = $"{Project}_proxy_1";
        await Waits.UntilAsync(async () => (await http.GetAsync(new Uri(Proxy, $"api/status?token={Token}"))).IsSuccessStatusCode,
                               TimeSpan.FromSeconds(150), $"nginx ({proxy})", "answer through nginx", image.Podman.Ended(proxy), image.Podman.LastLines(proxy));
    }

    public (string Name, string State, bool ReadOnly)[] Containers() =>
        image.Podman.Check("ps", "-a", "--filter", $"label=io.podman.compose.project={Project}", "--format", "{{.Names}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(name => image.Podman.Check("inspect", name, "--format", "{{.Name}} {{.State.Status}} {{.HostConfig.ReadonlyRootfs}}").Trim().Split(' '))
            .Select(f => (f[0], f[1], f[2] == "true")).OrderBy(c => c.Item1).ToArray();

    public ValueTask DisposeAsync()
    {
        if (LabImage.Unavailable is null && Proxy is not null)
            Compose(TimeSpan.FromMinutes(2), "down", "-v");
        return ValueTask.CompletedTask;
    }

    Processes.Result Compose(TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo("podman-compose") { WorkingDirectory = Path.GetDirectoryName(composeFile)! };
        foreach (var a in (string[])["-p", Project, "-f", composeFile, .. arguments])
            info.ArgumentList.Add(a);
        foreach (var (key, value) in image.Podman.Environment)
            info.Environment[key] = value;
        info.Environment["JUPYTER_TOKEN"] = Token;
        info.Environment["EDGEAI_PORT"] = Proxy.Port.ToString();
        return Processes.Execute(info, timeout);
    }

    static void Check(Processes.Result result) => Assert.True(result.ExitCode == 0, result.Output);


    [GeneratedRegex(@"image:\s*(nginx:\S+)")]
    private static partial Regex NginxImage();

    [GeneratedRegex(@"image:\s*(edgeai-lab:\S+)")]
    private static partial Regex LabImageName();
}
