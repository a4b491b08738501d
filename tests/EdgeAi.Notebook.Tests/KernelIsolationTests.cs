using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using EdgeAi.Notebook.Tests.Support;
using static EdgeAi.TestSupport.JupyterClient;

namespace EdgeAi.Notebook.Tests;

/// <summary>Only the holder of the Jupyter token runs code (docs/security.md): the kernel's side server is out of reach of other
/// users and of web pages, and the token is on no command line.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KernelIsolationTests(KernelIsolationTests.RunningLab lab) : IClassFixture<KernelIsolationTests.RunningLab>
{
    [Fact]
    public void No_process_has_the_token_on_its_command_line_and_the_kernel_does_not_have_it_at_all()
    {
        var holders = Directory.GetDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsDigit))
            .Where(d => { try { return File.ReadAllText(Path.Combine(d, "cmdline")).Contains(RunningLab.Token); } catch (IOException) { return false; } })
            .Select(d => $"{Path.GetFileName(d)}: {File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ')}").ToList();
        Assert.True(holders.Count == 0, "the token is on these command lines:\n" + string.Join("\n", holders));
        Assert.DoesNotContain(RunningLab.Token, lab.Kernel.Environment);
    }

    [Fact]
    public void The_kernel_listens_on_its_five_loopback_ports_and_a_socket_only_its_user_can_enter()
    {
        var (tcp, unix) = lab.Kernel.ListeningSockets();
        Assert.Equal(lab.Kernel.ConnectionFilePorts, tcp.Select(e => e.Port).Order().ToArray());
        Assert.All(tcp, e => Assert.True(IPAddress.IsLoopback(e.Address), $"{e} is not loopback"));
        Assert.Contains(unix, path => path.EndsWith("/kernel.sock"));
        foreach (var folder in unix.Select(Path.GetDirectoryName).Distinct())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder!));
            Assert.Equal(lab.Kernel.Uid, OwnerOf(folder!));
        }
    }

    [Fact]
    public async Task Another_user_cannot_run_code_in_the_kernel_which_its_own_user_can()
    {
        Assert.SkipUnless(Environment.UserName == "root", "switching to another uid needs root");
        var targets = Targets();
        var marker = lab.Temp.Combine("attacked");

        var asNobody = Attack(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], marker, targets);
        await Task.Delay(TimeSpan.FromSeconds(5));   // a submitted command runs after the hub has answered
        Assert.False(File.Exists(marker), "uid 65534 ran code in the kernel:\n" + asNobody);
        Assert.DoesNotContain("SUBMITTED", asNobody);

        // The same attack from the kernel's own user does run code: the hub is there, only permissions keep others out.
        var asOwner = Attack([], marker, targets);
        for (var i = 0; i < 60 && !File.Exists(marker); i++)
            await Task.Delay(500);
        Assert.True(File.Exists(marker), "the attack did not work even for the kernel's own user, so it proves nothing:\n" + asOwner);
    }

    [Fact]
    public async Task Cross_origin_requests_are_refused_by_the_kernel_and_the_server()
    {
        // A web page reaches only TCP: none of the kernel's ports may answer a CORS preflight for a foreign origin.
        foreach (var endpoint in lab.Kernel.ListeningSockets().Tcp)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var preflight = new HttpRequestMessage(HttpMethod.Options, $"http://{endpoint}/kernelhub/negotiate");
            preflight.Headers.Add("Origin", "http://attacker.example");
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            try
            {
                var response = await http.SendAsync(preflight);
                Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"), $"{endpoint} allows a foreign origin");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or SocketException) { }   // ZeroMQ speaks no HTTP
        }

        // Jupyter itself: a page that does not know the token can only ride on the browser's login cookie. With that
        // cookie, a request from a foreign origin gets no kernel channel and no API answer; from the server's own, it does.
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = lab.Http.BaseAddress };
        (await browser.GetAsync($"tree?token={RunningLab.Token}")).EnsureSuccessStatusCode();   // logs the "browser" in
        Assert.NotEmpty(cookies.GetCookies(browser.BaseAddress!));
        var channels = new Uri($"ws://127.0.0.1:{lab.Port}/api/kernels/{lab.KernelId}/channels");

        using (var foreign = new ClientWebSocket())
        {
            foreign.Options.Cookies = cookies;
            foreign.Options.SetRequestHeader("Origin", "http://attacker.example");
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => foreign.ConnectAsync(channels, CancellationToken.None));
            Assert.Contains("403", refused.Message);
        }
        using (var own = new ClientWebSocket())
        {
            own.Options.Cookies = cookies;
            own.Options.SetRequestHeader("Origin", $"http://127.0.0.1:{lab.Port}");
            await own.ConnectAsync(channels, CancellationToken.None);   // the cookie alone is enough from the server's own pages
        }
        var api = new HttpRequestMessage(HttpMethod.Get, "api/kernels");
        api.Headers.Add("Origin", "http://attacker.example");
        Assert.NotEqual(HttpStatusCode.OK, (await browser.SendAsync(api)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("api/kernels")).StatusCode);
    }

    List<string> Targets()
    {
        var (tcp, unix) = lab.Kernel.ListeningSockets();
        return [.. unix.Select(p => "unix:" + p), .. tcp.Select(e => $"tcp:{e}")];
    }

    static string Attack(string[] asUser, string marker, List<string> targets)
    {
        // The script goes in on standard input: another user may not be able to read the test's folder.
        var command = asUser.Concat([Processes.Python, "-", marker]).Concat(targets).ToList();
        var result = Processes.Execute(Processes.Info(command[0], command.Skip(1)), TimeSpan.FromMinutes(2),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Security", "kernel_attack.py")));
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

    static int OwnerOf(string path) =>
        int.Parse(Processes.Run("stat", "-c", "%u", path).Trim());

    /// <summary>`./lab up` with a known token and one started kernel, shared by the tests above.</summary>
    public sealed class RunningLab : IAsyncLifetime
    {
        public const string Token = "edgeai-isolation-5b7d1e0c93";
        public TempDirectory Temp { get; } = new();
        public int Port { get; } = Ports.Free();
        public HttpClient Http { get; private set; } = null!;
        public KernelProcess Kernel { get; private set; } = null!;
        public string KernelId { get; private set; } = "";
        RunningProcess? server;
        KernelConnection connection = null!;

        public async ValueTask InitializeAsync()
        {
            var info = Lab.Start(Temp.Combine("books"), "up", "--port", Port.ToString());
            info.Environment["JUPYTER_TOKEN"] = Token;
            server = Lab.StartRunning(info);
            Http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri($"http://127.0.0.1:{Port}/"), Timeout = TimeSpan.FromSeconds(30) };
            await server.WaitUntilAsync(async () => (await Http.GetAsync($"api/status?token={Token}")).EnsureSuccessStatusCode(), Lab.StartTimeout, "serve");
            connection = await OpenKernel(Http, Token);
            KernelId = connection.Id;
            await Execute(connection, "1 + 1");   // the kernel and its side server are up
            Kernel = KernelProcess.Below(server.Id);
        }

        public ValueTask DisposeAsync()
        {
            connection?.Dispose();
            Http?.Dispose();
            if (server is not null)
            {
                // Stopping on Ctrl-C is LabUpTests' concern; here the fixture only has to leave nothing behind, also on
                // a machine so loaded that the kernel's shutdown takes longer than usual.
                Process.Start("kill", ["-INT", server.Id.ToString()])!.WaitForExit();
                if (!server.WaitForExit(TimeSpan.FromSeconds(120)))
                    foreach (var pid in Ports.Descendants(server.Id).Append(server.Id))
                        try
                        { Process.GetProcessById(pid).Kill(); }
                        catch (ArgumentException) { }
                server.Dispose();
            }
            Temp.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
