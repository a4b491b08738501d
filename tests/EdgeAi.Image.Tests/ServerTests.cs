using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EdgeAi.Image.Tests;

/// <summary>A running lab container: authentication, the UI, the health check, who runs what.</summary>
public sealed partial class ServerTests(LabImage image, RunningLab lab) : IClassFixture<RunningLab>
{
    [Fact]
    public async Task The_API_refuses_requests_without_the_token()
    {
        image.EnsureBuilt();
        Assert.Equal(HttpStatusCode.Forbidden, (await lab.Http.GetAsync(lab.Url("/api/status"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await lab.Http.GetAsync(lab.Url("/api/status?token=wrong"))).StatusCode);
    }

    [Fact]
    public async Task The_API_accepts_the_token_and_offers_the_EdgeAi_kernel()
    {
        image.EnsureBuilt();
        var specs = await lab.Http.GetFromJsonAsync<JsonObject>(lab.Url($"/api/kernelspecs?token={lab.Token}"));
        Assert.Equal("edgeai-csharp", (string?)specs!["default"]);
        Assert.Contains("edgeai-csharp", specs["kernelspecs"]!.AsObject().Select(k => k.Key));
    }

    [Fact]
    public async Task JupyterLab_serves_its_interface_and_scripts()
    {
        image.EnsureBuilt();
        // dpkg leaves Debian's Node.js build toolchain out of the image: the prebuilt UI must still be complete.
        var page = await lab.Http.GetStringAsync(lab.Url($"/lab?token={lab.Token}"));
        Assert.Contains("JupyterLab", page);
        var scripts = ScriptSource().Matches(page).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            var response = await lab.Http.GetAsync(new Uri(lab.Url("/"), script));
            Assert.True(response.IsSuccessStatusCode, $"{script}: {response.StatusCode}");
        }
    }

    [Fact]
    public void The_health_check_passes()
    {
        Assert.Contains("/api", image.Podman.Check("image", "inspect", image.Image, "--format", "{{json .Config.Healthcheck}}"));
        Assert.Equal(0, image.Podman.Run("healthcheck", "run", lab.Name).ExitCode);
    }

    [Fact]
    public void Tini_is_PID_1_and_every_process_runs_as_uid_1000()
    {
        Assert.Equal("tini", image.Podman.Check("exec", lab.Name, "cat", "/proc/1/comm").Trim());
        var users = image.Podman.Check("exec", lab.Name, "ps", "-eo", "uid=,comm=").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(users);
        Assert.All(users, line => Assert.StartsWith("1000 ", line.Trim()));
    }

    [Fact]
    public async Task A_kernel_listens_on_loopback_only()
    {
        image.EnsureBuilt();
        var started = await lab.Http.PostAsJsonAsync(lab.Url($"/api/kernels?token={lab.Token}"), new { name = "edgeai-csharp" });
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        var id = (string)(await started.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        try
        {
            // The kernel's five ZeroMQ sockets (shell, iopub, stdin, control, heartbeat) and dotnet-interactive's
            // HTTP side server. The container shares the host's network here: only the kernel's own sockets count.
            var kernelSockets = new List<string>();
            for (var i = 0; i < 120 && kernelSockets.Count < 6; i++)
            {
                await Task.Delay(500);
                kernelSockets = image.Podman.Check("exec", lab.Name, "python3", "-c", ListeningSockets)
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Split(" ")[1].StartsWith("dotnet")).ToList();   // dotnet-interactive (its apphost) or dotnet
            }
            Assert.True(kernelSockets.Count >= 6, $"expected the kernel's 5 ZeroMQ sockets and its HTTP server: {string.Join(", ", kernelSockets)}");
            Assert.All(kernelSockets, s => Assert.Matches(@"^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1):\d+ ", s));
        }
        finally
        {
            await lab.Http.DeleteAsync(lab.Url($"/api/kernels/{id}?token={lab.Token}"));
        }
    }

    // Prints "address:port command" for each listening TCP socket owned by a process in the container.
    const string ListeningSockets = """
        import os, re, ipaddress
        def table(path):
            rows = {}
            for line in open(path).read().splitlines()[1:]:
                f = line.split()
                if f[3] != "0A": continue
                addr, port = f[1].split(":")
                raw = bytes.fromhex(addr)
                raw = b"".join(raw[i:i+4][::-1] for i in range(0, len(raw), 4))
                rows[f[9]] = (str(ipaddress.ip_address(raw)), int(port, 16))
            return rows
        sockets = {**table("/proc/net/tcp"), **table("/proc/net/tcp6")}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                comm = open(f"/proc/{pid}/comm").read().strip()
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    m = re.match(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
                    if m and m.group(1) in sockets:
                        a, p = sockets[m.group(1)]
                        print(f"{a}:{p} {comm}")
            except OSError:
                pass
        """;

    [GeneratedRegex(@"<script[^>]+src=""([^""]+)""")]
    private static partial Regex ScriptSource();
}
