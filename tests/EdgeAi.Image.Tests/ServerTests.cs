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
    public async Task The_API_accepts_the_token_and_offers_the_EdgeAi_kernel_alone()
    {
        image.EnsureBuilt();
        var specs = await lab.Http.GetFromJsonAsync<JsonObject>(lab.Url($"/api/kernelspecs?token={lab.Token}"));
        Assert.Equal(Kernelspec.Name, (string?)specs!["default"]);
        // The image leaves Debian's Python kernel out (a C# lab): the launcher offers one kernel, ours.
        Assert.Equal([Kernelspec.Name], specs["kernelspecs"]!.AsObject().Select(k => k.Key));
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
    public async Task The_charts_plotly_js_is_served_without_a_login_from_a_folder_no_user_can_write()
    {
        image.EnsureBuilt();
        var plotly = await lab.Http.GetAsync(lab.Url("/static/edgeai/plotly.min.js"));   // no token: a static file
        Assert.Equal(HttpStatusCode.OK, plotly.StatusCode);
        Assert.Contains("plotly.js v", (await plotly.Content.ReadAsStringAsync())[..300]);
        // What is served without a login must not be something the lab's user (code in a notebook) can put there.
        var served = image.Podman.Check("exec", lab.Name, "sh", "-c", "tr '\\0' '\\n' < /proc/$(pgrep -o -x jupyter-lab)/environ | grep '^EDGEAI_STATIC_DIR='");
        Assert.Equal("EDGEAI_STATIC_DIR=/opt/edgeai/static", served.Trim());   // the server's folder
        var write = image.Podman.Run("exec", lab.Name, "touch", "/opt/edgeai/static/edgeai/page.html");
        Assert.NotEqual(0, write.ExitCode);
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
    public async Task A_kernel_listens_on_loopback_and_on_a_socket_only_its_user_can_enter()
    {
        image.EnsureBuilt();
        await using var kernel = await StartedKernel.StartAsync(lab);
        var tcp = kernel.Sockets.Where(s => s.StartsWith("tcp:")).ToList();
        Assert.Equal(5, tcp.Count);   // shell, iopub, stdin, control, heartbeat: ZeroMQ, signed with the connection file's key
        Assert.All(tcp, s => Assert.Matches(@"^tcp:(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1):\d+$", s));
        var side = Assert.Single(kernel.Sockets, s => s.EndsWith("/kernel.sock"));
        var folder = Path.GetDirectoryName(side["unix:".Length..])!;
        Assert.Equal("700 1000", image.Podman.Check("exec", lab.Name, "stat", "-c", "%a %u", folder).Trim());
    }

    [GeneratedRegex(@"<script[^>]+src=""([^""]+)""")]
    private static partial Regex ScriptSource();
}
