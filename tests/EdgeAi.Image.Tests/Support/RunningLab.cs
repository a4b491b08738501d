using System.Diagnostics;

namespace EdgeAi.Image.Tests.Support;

/// <summary>One lab container started the way the Deployment starts a replica, on a free port of the host's
/// network, shared by the server tests; removed at the end.</summary>
public sealed class RunningLab : IAsyncLifetime
{
    readonly LabImage image;
    readonly TempDirectory temp = new();

    public RunningLab(LabImage image) => this.image = image;

    // One per test class that uses it, so each gets a name of its own: a shared name let one class remove the
    // other's container.
    public string Name { get; } = $"edgeai-image-server-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    public string Token { get; } = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
    public int Port { get; } = Ports.Free();
    // No cookies: Jupyter answers a token with a login cookie, which would let a later "no token" request in.
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };
    public Uri Url(string pathAndQuery) => new($"http://127.0.0.1:{Port}{pathAndQuery}");
    public Podman Podman => image.Podman;

    public async ValueTask InitializeAsync()
    {
        if (LabImage.Unavailable is not null)
            return;
        image.EnsureBuilt();   // the first fixture to ask builds the image: not part of the start time reported below
        var started = Stopwatch.StartNew();
        image.Podman.Check(["run", "-d", "--name", Name, "-e", $"JUPYTER_TOKEN={Token}", "-e", $"JUPYTER_PORT={Port}",
                            .. Pod.RunOptions(temp, Pod.OwnedFolder(temp, "books")), image.Image]);
        // The wait starts once podman has started the container: podman itself can wait minutes for its storage lock
        // while other test classes build and start containers on two cores.
        await Waits.UntilAsync(async () => (await Http.GetAsync(Url($"/api/status?token={Token}"))).IsSuccessStatusCode,
                               TimeSpan.FromSeconds(180), $"the container {Name}", "answer /api/status", image.Podman.Ended(Name), image.Podman.LastLines(Name));
        Report.Line("image", $"server answered /api/status {started.Elapsed.TotalSeconds:F1} s after `podman run`");
    }

    public ValueTask DisposeAsync()
    {
        if (LabImage.Unavailable is null)
            image.Podman.Run("rm", "-f", "-t", "2", Name);
        Http.Dispose();
        temp.Dispose();
        return ValueTask.CompletedTask;
    }

}
