using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>
/// `./lab up` on a Linux without apt (docs/lab.md). A PATH that holds every command of this machine except apt's and
/// dpkg's stands in for such a distribution: the lab must use the Jupyter it finds there, and name what is missing
/// when it finds none, instead of failing on apt.
/// </summary>
public sealed class BeyondDebianTests : IDisposable
{
    static readonly string[] PackageTools = ["apt", "apt-get", "apt-cache", "dpkg", "dpkg-query"];
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Without_apt_up_serves_with_the_Jupyter_it_finds_on_PATH()
    {
        const string token = "edgeai-beyond-debian-7c1d";
        var port = Ports.Free();
        var info = Lab.Start(temp.Combine("books"), "up", "--port", port.ToString());
        info.Environment["PATH"] = CommandsWithout("no-apt", name => PackageTools.Contains(name));
        info.Environment["JUPYTER_TOKEN"] = token;
        using var lab = Lab.StartRunning(info);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            await lab.WaitUntilAsync(async () => (await http.GetAsync($"api/status?token={token}")).EnsureSuccessStatusCode(), Lab.StartTimeout, "serve");
            Assert.Contains("no apt here: using /", lab.Output);
            var specs = await http.GetFromJsonAsync<JsonObject>($"api/kernelspecs?token={token}");
            Assert.Equal(Kernelspec.Name, (string)specs!["default"]!);
        }
        finally
        {
            Process.Start("kill", ["-INT", lab.Id.ToString()])!.WaitForExit();
            lab.WaitForExit(TimeSpan.FromSeconds(60));
        }
    }

    [Fact]
    public void Without_apt_and_without_Jupyter_up_says_what_is_missing_and_installs_nothing()
    {
        var info = Lab.Start(temp.Combine("books"), "up", "--port", Ports.Free().ToString());
        info.Environment["PATH"] = CommandsWithout("no-apt-no-jupyter", name => PackageTools.Contains(name) || name.StartsWith("jupyter"));
        var result = Processes.Execute(info, TimeSpan.FromMinutes(5));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no apt here, so the lab installs nothing; missing: a Jupyter server (jupyter-lab or jupyter-notebook on PATH)", result.Output);
        Assert.Contains("pip install jupyterlab", result.Output);
        Assert.DoesNotContain("Traceback", result.Output);
    }

    /// <summary>A folder of links to every command of this machine's usual folders but the dropped ones.</summary>
    string CommandsWithout(string name, Func<string, bool> drop)
    {
        var folder = temp.Combine(name);
        Directory.CreateDirectory(folder);
        foreach (var directory in new[] { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" }.Where(Directory.Exists))
            foreach (var command in Directory.EnumerateFiles(directory))
            {
                var link = Path.Combine(folder, Path.GetFileName(command));
                if (!drop(Path.GetFileName(command)) && !File.Exists(link) && !Directory.Exists(link))
                    File.CreateSymbolicLink(link, command);
            }
        return folder;
    }
}
