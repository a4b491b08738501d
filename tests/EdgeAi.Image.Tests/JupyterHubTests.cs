using System.Diagnostics;
using System.Net;
using static EdgeAi.TestSupport.JupyterClient;

namespace EdgeAi.Image.Tests;

/// <summary>The classroom path (docs/classroom.md): the image as a real JupyterHub's user server, one per student, the
/// models on the shared store, idle kernels and servers culled, a student's notebook kept across a restart.</summary>
public sealed class JupyterHubTests(LabImage image, RunningHub hub) : IClassFixture<RunningHub>
{
    const string LoadExtension = "#r \"nuget: EdgeAi.Interactive\"";

    [Fact]
    public async Task Two_students_train_on_their_own_servers_share_the_store_and_an_idle_server_is_culled_and_comes_back()
    {
        image.EnsureBuilt();
        using var alice = await hub.LogInAsync("alice", hub.Password);
        using var bob = await hub.LogInAsync("bob", hub.Password);
        Assert.NotNull(alice);
        Assert.NotNull(bob);

        // Alice: her own server, the samples seeded into her home, an edit of her own, a model named after her.
        await hub.StartServerAsync(alice, "alice");
        var (aliceServer, aliceToken) = await hub.UserServerAsync("alice");
        using var aliceHttp = aliceServer;
        var samples = await ListFolder(aliceHttp, aliceToken, "notebooks");
        Assert.Contains("mnist_training.ipynb", samples);
        await SaveNotebook(aliceHttp, aliceToken, "notebooks/my-experiment.ipynb", Notebook(LoadExtension, "#!mnist-train --epochs 2"));
        using (var kernel = await OpenKernel(aliceHttp, aliceToken))
        {
            await Execute(kernel, LoadExtension);
            Assert.Contains(await Execute(kernel, "#!mnist-train --epochs 1 --seed 1"), o => o.Contains("Saved <b>mnist-mlp-alice@v1</b>"));
        }

        // Bob: another server (another process, another home), his model beside hers on the shared store.
        await hub.StartServerAsync(bob, "bob");
        var (bobServer, bobToken) = await hub.UserServerAsync("bob");
        using var bobHttp = bobServer;
        Assert.DoesNotContain("my-experiment.ipynb", await ListFolder(bobHttp, bobToken, "notebooks"));
        // Bob's token does not open Alice's server, nor the reverse.
        using (var bobAtAlice = WithToken(aliceHttp, bobToken))
            Assert.Equal(HttpStatusCode.Forbidden, (await bobAtAlice.GetAsync("api/contents/notebooks")).StatusCode);
        using (var aliceAtBob = WithToken(bobHttp, aliceToken))
            Assert.Equal(HttpStatusCode.Forbidden, (await aliceAtBob.GetAsync("api/contents/notebooks")).StatusCode);
        using var bobKernel = await OpenKernel(bobHttp, bobToken);
        await Execute(bobKernel, LoadExtension);
        Assert.Contains(await Execute(bobKernel, "#!mnist-train --epochs 1 --seed 2"), o => o.Contains("Saved <b>mnist-mlp-bob@v1</b>"));
        var bobsModels = string.Join("\n", await Execute(bobKernel, "#!mnist-weights"));
        Assert.Contains("mnist-mlp-alice", bobsModels);
        Assert.Contains("mnist-mlp-bob", bobsModels);

        // Alice has left: her kernel is culled, then her idle server shuts down, and the hub records it stopped.
        // Bob goes on working (a cell every 2 s, well inside the 10 s kernel timeout), so his server stays up:
        // only the idle student is culled.
        var idle = Stopwatch.StartNew();
        while (await hub.ServerStateAsync("alice") is not null && idle.Elapsed < TimeSpan.FromSeconds(150))
        {
            await Execute(bobKernel, "#!mnist-weights");
            await Task.Delay(2000);
        }
        Assert.True(await hub.ServerStateAsync("alice") is null, $"alice's idle server still runs after {idle.Elapsed.TotalSeconds:F0} s:\n{hub.Logs()}");
        Report.Line("image", $"hub: alice's idle server culled {idle.Elapsed.TotalSeconds:F0} s after bob's training ended, by " +
                             (hub.UsesTheChartsCuller ? "jupyterhub-idle-culler" : "jupyter_server's idle shutdown"));
        var logs = hub.Logs();
        Assert.Matches($@"Culling 'idle' kernel '{System.Text.RegularExpressions.Regex.Escape(Kernelspec.Name)}' \(\S+\) with \d+ connections due to \d+ seconds of inactivity", logs);
        Assert.Matches(hub.UsesTheChartsCuller ? @"Culling server alice \(inactive for" : @"No kernels for \d+ seconds; shutting down", logs);
        Assert.True(await hub.ServerStateAsync("bob") is not null, $"bob's server, in use all along, was stopped:\n{hub.Logs()}");

        // She logs in again: a new server, her edit as she saved it, no second copy of a sample, and both models.
        await hub.StartServerAsync(alice, "alice");
        var (again, againToken) = await hub.UserServerAsync("alice");
        using var againHttp = again;
        Assert.Equal([LoadExtension, "#!mnist-train --epochs 2"], await OpenNotebook(againHttp, againToken, "notebooks/my-experiment.ipynb"));
        Assert.Equal(samples.Append("my-experiment.ipynb").Order(StringComparer.Ordinal), await ListFolder(againHttp, againToken, "notebooks"));
        using (var kernel = await OpenKernel(againHttp, againToken))
        {
            await Execute(kernel, LoadExtension);
            var models = string.Join("\n", await Execute(kernel, "#!mnist-weights"));
            Assert.Contains("mnist-mlp-alice", models);
            Assert.Contains("mnist-mlp-bob", models);
        }
    }

    static HttpClient WithToken(HttpClient server, string token)
    {
        var other = new HttpClient { BaseAddress = server.BaseAddress };
        other.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", token);
        return other;
    }

    [Fact]
    public async Task The_hub_refuses_a_wrong_password_and_a_user_it_does_not_allow()
    {
        image.EnsureBuilt();
        Assert.Null(await hub.LogInAsync("alice", "not-" + hub.Password));
        Assert.Null(await hub.LogInAsync("mallory", hub.Password));
    }

    [Fact]
    public void Without_a_hub_the_single_user_command_says_what_it_needs()
    {
        image.EnsureBuilt();
        var result = image.Podman.Run("run", "--rm", "--user", "1000:1000", image.Image, "jupyterhub-singleuser");
        Assert.Equal(64, result.ExitCode);
        Assert.Contains("JUPYTERHUB_API_TOKEN", result.Stderr);
        Assert.Contains("JUPYTER_TOKEN", result.Stderr);
        Assert.DoesNotContain("Traceback", result.Output);
    }
}
