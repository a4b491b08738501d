using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EdgeAi.Image.Tests.Support;

/// <summary>A real JupyterHub (Debian 13's jupyterhub 5.2.1 and configurable-http-proxy) in a container of the lab
/// image, configured by hub/jupyterhub_config.py; each user's home and /books are host folders owned by uid 1000.
/// Removed at the end.</summary>
public sealed class RunningHub : IAsyncLifetime
{
    // Kernels idle for 10 s are culled: the file k8s/jupyterhub/values.yaml mounts (singleuser.extraFiles), at
    // the same path, with the test's short timeouts.
    const string KernelCullingPath = "/usr/local/etc/jupyter/jupyter_server_config.json";
    const string KernelCulling = """{"MappingKernelManager": {"cull_idle_timeout": 10, "cull_interval": 5, "cull_connected": true}}""";

    readonly LabImage image;
    readonly TempDirectory temp = new();

    public RunningHub(LabImage image) => this.image = image;

    // The chart's own idle culler, jupyterhub-idle-culler, at the version the chart 4.4.0 installs, where the test is
    // given a git folder of jupyterhub/jupyterhub-idle-culler (EDGEAI_IDLE_CULLER_REPO: it is on PyPI only, and CI
    // has no GitHub); otherwise servers stop by jupyter_server's own idle shutdown (hub/jupyterhub_config.py).
    const string CullerVersion = "1.4.0";
    static readonly string? CullerRepository = Environment.GetEnvironmentVariable("EDGEAI_IDLE_CULLER_REPO") is { Length: > 0 } r ? r : null;
    public bool UsesTheChartsCuller => CullerRepository is not null;

    public string Name { get; } = $"edgeai-hub-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    public int Port { get; } = Ports.Free();
    public string Password { get; } = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
    string AdminToken { get; } = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
    public HttpClient Admin { get; private set; } = null!;
    public Podman Podman => image.Podman;
    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    public async ValueTask InitializeAsync()
    {
        if (LabImage.Unavailable is not null)
            return;
        var hubDirectory = Path.Combine(RealData.RepositoryRoot, "tests", "EdgeAi.Image.Tests", "hub");
        var hubImage = image.Image.Replace("edgeai-lab", "edgeai-hub-test");
        var built = Stopwatch.StartNew();
        var build = Podman.Run(TimeSpan.FromMinutes(10), "build", "--layers", "--build-arg", $"LAB_IMAGE={image.Image}", "-t", hubImage,
                               "-f", Path.Combine(hubDirectory, "Containerfile"), hubDirectory);
        Assert.True(build.ExitCode == 0, $"the hub image did not build:\n{build.Output}");
        Report.Line("image", $"hub image (lab image + configurable-http-proxy) built in {built.Elapsed.TotalSeconds:F0} s");

        var imageEnvironment = Podman.Check("image", "inspect", image.Image, "--format", "{{range .Config.Env}}{{println .}}{{end}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('=')[0]);
        var culling = Path.Combine(temp.Path, "kernel-culling.json");
        File.WriteAllText(culling, KernelCulling);
        string[] culler = [];
        if (CullerRepository is not null)
        {
            var folder = Pod.OwnedFolder(temp, "idle-culler");
            var archive = Processes.Execute(Processes.Info("sh", ["-c", $"git -C \"$0\" archive {CullerVersion} jupyterhub_idle_culler | tar -x -C \"$1\"", CullerRepository, folder]), TimeSpan.FromMinutes(1));
            Assert.True(archive.ExitCode == 0, $"jupyterhub-idle-culler {CullerVersion} from {CullerRepository}: {archive.Output}");
            culler = ["-v", $"{folder}:/opt/jupyterhub-idle-culler:ro", "-e", "EDGEAI_IDLE_CULLER=/opt/jupyterhub-idle-culler"];
        }
        Podman.Check(["run", "-d", "--name", Name, "--user", "1000:1000", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                      "--workdir", "/srv/hub", "-v", $"{Pod.OwnedFolder(temp, "hub")}:/srv/hub", "-v", $"{Pod.OwnedFolder(temp, "homes")}:/srv/homes",
                      "-v", $"{Pod.OwnedFolder(temp, "books")}:/books", "-v", $"{hubDirectory}:/etc/edgeai-hub:ro", "-v", $"{culling}:{KernelCullingPath}:ro",
                      "-e", $"HUB_PORT={Port}", "-e", $"HUB_API_PORT={Ports.Free()}", "-e", $"PROXY_API_PORT={Ports.Free()}",
                      "-e", $"HUB_PASSWORD={Password}", "-e", $"HUB_ADMIN_TOKEN={AdminToken}", "-e", $"EDGEAI_IMAGE_ENV={string.Join(' ', imageEnvironment)}",
                      .. culler, hubImage, "jupyterhub", "-f", "/etc/edgeai-hub/jupyterhub_config.py"]);
        Admin = new HttpClient { BaseAddress = Url("/hub/api/"), Timeout = TimeSpan.FromSeconds(60) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", AdminToken);
        await Waits.UntilAsync(async () => (await Admin.GetAsync(Url("/hub/health"))).IsSuccessStatusCode,
                               TimeSpan.FromSeconds(120), $"the hub's container {Name}", "answer /hub/health", Podman.Ended(Name), Podman.LastLines(Name));
    }

    public string Logs() => Podman.Run("logs", Name).Output;

    /// <summary>A browser that logs in through the hub's form (with its XSRF token); null when the hub refuses.</summary>
    public async Task<HttpClient?> LogInAsync(string user, string password)
    {
        var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        { BaseAddress = Url("/"), Timeout = TimeSpan.FromSeconds(60) };
        var form = await browser.GetStringAsync("hub/login");
        var xsrf = Regex.Match(form, "name=\"_xsrf\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(xsrf);
        var answer = await browser.PostAsync("hub/login", new FormUrlEncodedContent(new Dictionary<string, string>
        { ["username"] = user, ["password"] = password, ["_xsrf"] = xsrf }));
        if (answer.StatusCode == HttpStatusCode.Found)
            return browser;
        Assert.Contains("Invalid username or password", await answer.Content.ReadAsStringAsync());   // the form again
        browser.Dispose();
        return null;
    }

    /// <summary>What the browser's "Start My Server" does; waits until the hub says the server is ready.</summary>
    public async Task StartServerAsync(HttpClient browser, string user)
    {
        var spawn = await browser.GetAsync("hub/spawn");
        Assert.True(spawn.StatusCode == HttpStatusCode.Found, $"GET /hub/spawn answered {spawn.StatusCode}");
        var waiting = Stopwatch.StartNew();
        while (waiting.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (await ServerStateAsync(user) is { } server && (bool?)server["ready"] == true)
                return;
            await Task.Delay(500);
        }
        throw new TimeoutException($"{user}'s server was not ready within 120 s:\n{Logs()}");
    }

    /// <summary>The hub's record of the user's default server; null when none runs.</summary>
    public async Task<JsonNode?> ServerStateAsync(string user) =>
        (await Admin.GetFromJsonAsync<JsonObject>($"users/{user}"))!["servers"]!.AsObject()[""];

    /// <summary>The user's server through the hub's proxy, sending an API token of that user's.</summary>
    public async Task<(HttpClient Server, string Token)> UserServerAsync(string user)
    {
        var created = await Admin.PostAsJsonAsync($"users/{user}/tokens", new { note = "edgeai-test", expires_in = 900 });
        created.EnsureSuccessStatusCode();
        var token = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["token"]!;
        var server = new HttpClient { BaseAddress = Url($"/user/{user}/"), Timeout = TimeSpan.FromSeconds(60) };
        server.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);   // ?token= is ignored
        return (server, token);
    }

    public ValueTask DisposeAsync()
    {
        if (LabImage.Unavailable is null)
            Podman.Run("rm", "-f", "-t", "2", Name);
        Admin?.Dispose();
        temp.Dispose();
        return ValueTask.CompletedTask;
    }
}
