using System.Reflection;
using EdgeAi.Core.Store;
using EdgeAi.Interactive.Tests.Support;
using Microsoft.DotNet.Interactive.Events;

namespace EdgeAi.Interactive.Tests.Magics;

/// <summary>#!fed-train as a teacher's lab exercise runs it: a live table per round, the global model loaded and saved.</summary>
public sealed class FedTrainMagicTests
{
    [Fact, Trait("Needs", "libtorch")]
    public async Task A_federation_shows_each_round_saves_the_global_model_and_loads_it_for_the_next_cells()
    {
        await using var session = await KernelSession.StartAsync();
        var cell = await session.RunAsync("#!fed-train --nodes 3 --rounds 2 --partition dirichlet:0.5 --seed 2 --name fed-lab");
        Assert.True(cell.Succeeded, cell.Error);
        Assert.True(cell.Updates >= 2, $"the round table was updated {cell.Updates} times");
        var table = Assert.Single(cell.Html, h => h.Contains("round 2/2 done"));
        Assert.Contains("Federation of 3 nodes on 8,000", table);
        Assert.Matches(@"<td>2</td><td>\d\d\.\d\d\s?%</td><td>0: [\d,]+, [\d.]+\s?%, 1: [\d,]+, [\d.]+\s?%, 2: ", table);
        var chart = Assert.Single(cell.Events.OfType<DisplayedValueProduced>(), e => e.FormattedValues.Any(v => v.Value.Contains("class=\"edgeai-chart\"")));
        ChartAssert.AllForms(chart, ["global test accuracy"]);
        Assert.Contains(cell.Html, h => h.Contains("Saved the global model as <b>fed-lab@v3</b>") && h.Contains("#!mnist-load fed-lab@v3"));

        var next = await session.RunAsync("$\"{EdgeAi.Interactive.Mnist.Manifest!.Ref} round {EdgeAi.Interactive.Mnist.Manifest.Federation!.Round} of {EdgeAi.Interactive.Mnist.Manifest.Federation.Updates.Count} nodes\"");
        Assert.Equal("fed-lab@v3 round 2 of 3 nodes", next.ReturnValue);
        var eval = await session.RunAsync("#!mnist-eval fed-lab");
        Assert.True(eval.Succeeded, eval.Error);
        Assert.Equal(3, new WeightStore(session.Store).List("fed-lab").Count);
    }

    [Fact, Trait("Needs", "cli-build")]   // runs the x64 build of the CLI with the host's dotnet
    public async Task With_processes_each_node_is_an_edgeai_worker_process_of_its_own()
    {
        var cli = typeof(FedTrainMagicTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
        var before = Environment.GetEnvironmentVariable(Core.Federated.WorkerProcess.CommandVariable);
        Environment.SetEnvironmentVariable(Core.Federated.WorkerProcess.CommandVariable, cli);
        try
        {
            await using var session = await KernelSession.StartAsync();
            var cell = await session.RunAsync("#!fed-train --nodes 2 --rounds 2 --seed 4 --name fed-procs --processes");
            Assert.True(cell.Succeeded, cell.Error);
            Assert.Contains(cell.Html, h => h.Contains("The nodes are processes (dotnet edgeai.dll fed worker)") && h.Contains("round 2/2 done"));
            var record = new WeightStore(session.Store).FindLatest("fed-procs")!.Federation!;
            Assert.Equal([0, 1], record.Updates.Select(u => u.Node));
            Assert.Equal("2", (await session.RunAsync("1 + 1")).ReturnValue);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Core.Federated.WorkerProcess.CommandVariable, before);
        }
    }

    [Fact]
    public async Task Processes_without_the_edgeai_command_are_refused_with_what_to_set()
    {
        // PATH is left alone: other tests start programs by name meanwhile.
        var before = Environment.GetEnvironmentVariable(Core.Federated.WorkerProcess.CommandVariable);
        Environment.SetEnvironmentVariable(Core.Federated.WorkerProcess.CommandVariable, null);
        try
        {
            if (Core.Federated.WorkerProcess.FindCommand() is { } onPath)
                Assert.Skip($"edgeai is on PATH here ({onPath[0]}): nothing to refuse");
            await using var session = await KernelSession.StartAsync();
            var cell = await session.RunAsync("#!fed-train --nodes 2 --rounds 1 --processes");
            Assert.Contains("--processes needs the edgeai command", cell.Error);
            Assert.Contains("EDGEAI_CLI", cell.Error);
            Assert.Empty(new WeightStore(session.Store).List());
        }
        finally
        {
            Environment.SetEnvironmentVariable(Core.Federated.WorkerProcess.CommandVariable, before);
        }
    }

    [Theory]
    [InlineData("--nodes 0", "nodes 0 is outside 1-256")]
    [InlineData("--nodes 4 --min-nodes 9", "min nodes 9 is outside 1-4")]
    [InlineData("--rounds x", "--rounds 'x' is not a whole number")]
    [InlineData("--partition zipf", "Partition 'zipf' is not known. Allowed: none, iid")]
    [InlineData("--strategy fedsgd", "Strategy 'fedsgd' is not known")]
    [InlineData("--mu -1", "mu -1 is outside 0-10")]
    [InlineData("--name ../x", "Model name '../x' is not allowed")]
    public async Task Bad_options_are_named_and_the_kernel_carries_on(string options, string message)
    {
        await using var session = await KernelSession.StartAsync();
        var cell = await session.RunAsync($"#!fed-train {options}");
        Assert.False(cell.Succeeded);
        Assert.Contains(message, cell.Error);
        Assert.DoesNotContain("   at ", cell.Error);
        Assert.Empty(new WeightStore(session.Store).List());
        Assert.Equal("2", (await session.RunAsync("1 + 1")).ReturnValue);
    }
}
