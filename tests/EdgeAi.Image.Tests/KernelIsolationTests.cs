using System.Net;
using System.Net.WebSockets;

namespace EdgeAi.Image.Tests;

/// <summary>In the image, as on the host (docs/security.md): only the token holder runs code. Another uid in the pod cannot
/// reach the kernel's side server, a foreign web page gets no kernel, and the token is on no command line.</summary>
public sealed class KernelIsolationTests(LabImage image, RunningLab lab) : IClassFixture<RunningLab>
{
    [Fact]
    public async Task Another_uid_in_the_container_cannot_run_code_in_a_kernel_which_the_lab_user_can()
    {
        image.EnsureBuilt();
        await using var kernel = await StartedKernel.StartAsync(lab);
        var marker = $"/tmp/attacked-{kernel.Id}";
        var attack = StartedKernel.Script("kernel_attack.py");

        var asOther = image.Podman.CheckWithInput(attack, ["exec", "-i", "--user", "1001:1001", lab.Name, "python3", "-", marker, .. kernel.Sockets]);
        await Task.Delay(TimeSpan.FromSeconds(5));   // a submitted command runs after the hub has answered
        Assert.True(image.Podman.Run("exec", lab.Name, "test", "-e", marker).ExitCode != 0, "uid 1001 ran code in the kernel:\n" + asOther);
        Assert.DoesNotContain("SUBMITTED", asOther);

        var asLab = image.Podman.CheckWithInput(attack, ["exec", "-i", lab.Name, "python3", "-", marker, .. kernel.Sockets]);
        var ran = false;
        for (var i = 0; i < 60 && !ran; i++, await Task.Delay(500))
            ran = image.Podman.Run("exec", lab.Name, "test", "-e", marker).ExitCode == 0;
        Assert.True(ran, "the attack did not work even for the kernel's own user, so it proves nothing:\n" + asLab);
    }

    [Fact]
    public async Task The_token_is_on_no_command_line_and_not_in_the_kernels_environment()
    {
        image.EnsureBuilt();
        await using var kernel = await StartedKernel.StartAsync(lab);
        var commandLines = image.Podman.Check("exec", lab.Name, "sh", "-c", "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done");
        Assert.Contains("jupyter", commandLines);
        Assert.DoesNotContain(lab.Token, commandLines);
        // The kernel by its process name (the only dotnet in the container): `pgrep -f` would also match this
        // shell, which podman exec starts with the container's environment, token included.
        var environments = image.Podman.Check("exec", lab.Name, "sh", "-c",
            "for p in $(pgrep -x dotnet); do tr '\\0' '\\n' < /proc/$p/environ; done");
        Assert.Contains("EDGEAI_WEIGHTS_DIR=", environments);
        Assert.DoesNotContain(lab.Token, environments);
    }

    [Fact]
    public async Task A_foreign_web_page_with_the_login_cookie_gets_no_kernel_channel()
    {
        image.EnsureBuilt();
        await using var kernel = await StartedKernel.StartAsync(lab);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies });
        (await browser.GetAsync(lab.Url($"/lab?token={lab.Token}"))).EnsureSuccessStatusCode();   // logs the "browser" in
        var channels = new Uri($"ws://127.0.0.1:{lab.Port}/api/kernels/{kernel.Id}/channels");
        using (var foreign = new ClientWebSocket())
        {
            foreign.Options.Cookies = cookies;
            foreign.Options.SetRequestHeader("Origin", "http://attacker.example");
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => foreign.ConnectAsync(channels, CancellationToken.None));
            Assert.Contains("403", refused.Message);
        }
        using var own = new ClientWebSocket();
        own.Options.Cookies = cookies;
        own.Options.SetRequestHeader("Origin", $"http://127.0.0.1:{lab.Port}");
        await own.ConnectAsync(channels, CancellationToken.None);
    }
}
