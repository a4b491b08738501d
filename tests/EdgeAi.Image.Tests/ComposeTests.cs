using System.Net;
using static EdgeAi.TestSupport.JupyterClient;

namespace EdgeAi.Image.Tests;

/// <summary>docker/compose.yaml: the report's topology on one container host.</summary>
public sealed class ComposeTests(LabImage image, ComposeLab compose) : IClassFixture<ComposeLab>
{
    /// <summary>A browser: its own cookie jar, so its own affinity cookie from nginx.</summary>
    sealed class Browser : IDisposable
    {
        readonly ComposeLab compose;
        readonly HttpClient http;

        public Browser(ComposeLab compose)
        {
            this.compose = compose;
            http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies }) { BaseAddress = compose.Proxy, Timeout = TimeSpan.FromSeconds(60) };
        }

        public CookieContainer Cookies { get; } = new();
        public HttpClient Http => http;
        public async Task<string> KernelsAsync() => await http.GetStringAsync($"api/kernels?token={compose.Token}");
        public Task<KernelConnection> KernelAsync() => OpenKernel(http, compose.Token, Cookies);
        public void Dispose() => http.Dispose();
    }

    [Fact]
    public void Two_read_only_lab_replicas_and_nginx_run()
    {
        image.EnsureBuilt();
        var containers = compose.Containers();
        Assert.Equal([$"{compose.Project}_lab_1", $"{compose.Project}_lab_2", $"{compose.Project}_proxy_1"], containers.Select(c => c.Name));
        Assert.All(containers, c => Assert.Equal("running", c.State));
        Assert.All(containers.Where(c => c.Name.Contains("_lab_")), c => Assert.True(c.ReadOnly, $"{c.Name} has a writable root filesystem"));
    }

    [Fact]
    public async Task A_browser_sticks_to_its_replica_and_the_other_replica_loads_what_it_trained()
    {
        image.EnsureBuilt();
        using var first = new Browser(compose);
        using var trainer = await first.KernelAsync();
        await Execute(trainer, "#r \"nuget: EdgeAi.Interactive\"");
        Assert.Contains(await Execute(trainer, "#!mnist-train --epochs 1 --seed 3"), o => o.Contains("Saved <b>mnist-mlp@v1</b>"));
        // Affinity: every request of this browser reaches the replica that holds its kernel.
        for (var i = 0; i < 10; i++)
            Assert.Contains(trainer.Id, await first.KernelsAsync());

        // A browser whose cookie sends it to the other replica (about every second one does).
        Browser? second = null;
        for (var attempt = 0; attempt < 30 && second is null; attempt++)
        {
            var candidate = new Browser(compose);
            if (!(await candidate.KernelsAsync()).Contains(trainer.Id))
                second = candidate;
            else
                candidate.Dispose();
        }
        Assert.NotNull(second);
        using var other = second;
        using var predictor = await other.KernelAsync();
        await Execute(predictor, "#r \"nuget: EdgeAi.Interactive\"");
        Assert.Contains(await Execute(predictor, "#!mnist-load"), o => o.Contains("mnist-mlp@v1"));
        Assert.DoesNotContain(trainer.Id, await other.KernelsAsync());
    }

    [Fact]
    public async Task A_students_notebook_lives_on_the_shared_volume_and_survives_a_restart()
    {
        image.EnsureBuilt();
        using var browser = new Browser(compose);
        // The samples were seeded into /books/notebooks, beside the store in /books/models.
        Assert.Equal(["models", "notebooks"], (await ListFolder(browser.Http, compose.Token, "")).Where(n => !n.StartsWith('.')));
        var samples = await ListFolder(browser.Http, compose.Token, "notebooks");
        Assert.Contains("mnist_training.ipynb", samples);

        // The student edits the training sample and saves it (through whichever replica the cookie picks).
        var edit = "// my own experiment: two epochs\n#!mnist-train --epochs 2";
        await SaveNotebook(browser.Http, compose.Token, "notebooks/mnist_training.ipynb", JupyterClient.Notebook("#r \"nuget: EdgeAi.Interactive\"", edit));
        foreach (var replica in new[] { 1, 2 })   // both replicas see it on the volume
            Assert.Contains("two epochs", image.Podman.Check("exec", $"{compose.Project}_lab_{replica}", "cat", "/books/notebooks/mnist_training.ipynb"));

        await compose.RestartAsync();

        // The edit is there after the restart, and seeding the same image again added no copy beside it.
        using var after = new Browser(compose);
        Assert.Equal(["#r \"nuget: EdgeAi.Interactive\"", edit], await OpenNotebook(after.Http, compose.Token, "notebooks/mnist_training.ipynb"));
        Assert.Equal(samples, await ListFolder(after.Http, compose.Token, "notebooks"));
    }
}
