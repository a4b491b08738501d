using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace EdgeAi.Image.Tests.Support;

/// <summary>A kernel started through the lab container's REST API, with the sockets it listens on (read inside the
/// container by Security/kernel_sockets.py); shut down at the end.</summary>
public sealed class StartedKernel : IAsyncDisposable
{
    readonly RunningLab lab;
    public string Id { get; }
    public List<string> Sockets { get; private set; } = [];

    StartedKernel(RunningLab lab, string id) => (this.lab, Id) = (lab, id);

    public static async Task<StartedKernel> StartAsync(RunningLab lab)
    {
        var started = await lab.Http.PostAsJsonAsync(lab.Url($"/api/kernels?token={lab.Token}"), new { name = Kernelspec.Name });
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        var kernel = new StartedKernel(lab, (string)(await started.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        // Up once its five ZeroMQ sockets and its side server listen (the container shares the host's network:
        // only the kernel process's own sockets are listed).
        for (var i = 0; i < 240 && !(kernel.Sockets.Count(s => s.StartsWith("tcp:")) >= 5 && kernel.Sockets.Any(s => s.EndsWith("/kernel.sock"))); i++)
        {
            await Task.Delay(500);
            kernel.Sockets = lab.Podman.CheckWithInput(Script("kernel_sockets.py"), "exec", "-i", lab.Name, "python3", "-")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        }
        return kernel;
    }

    /// <summary>A script of the test's Security folder, to send on standard input.</summary>
    public static string Script(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Security", name));

    public async ValueTask DisposeAsync() => await lab.Http.DeleteAsync(lab.Url($"/api/kernels/{Id}?token={lab.Token}"));
}
