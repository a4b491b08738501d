using EdgeAi.Core.Data;
using EdgeAi.Core.Store;

namespace EdgeAi.Core.Federated;

/// <summary>
/// A whole federation in this process: the aggregator and one <see cref="Worker"/> per node, each on a thread of its
/// own, meeting only in the store's folder as separate machines would. For a lab exercise, the CLI's <c>fed run</c>
/// and the notebook; on a cluster the same classes run as separate processes (<c>fed worker</c>, <c>fed aggregate</c>).
/// </summary>
public static class FederatedRun
{
    /// <summary>
    /// Runs the federation; with <paramref name="workerCommand"/> (an <c>edgeai</c> command: <see cref="WorkerProcess.FindCommand"/>)
    /// each node is a process of its own, as on a cluster, else a thread of this process.
    /// </summary>
    public static async Task<ModelManifest> RunAsync(WeightStore store, string name, MnistDataset dataset, FederationSettings settings,
                                                     Action<RoundSummary>? roundClosed = null, Action<string>? log = null,
                                                     CancellationToken cancel = default, IReadOnlyList<string>? workerCommand = null)
    {
        settings.Validate(dataset.Train.Count);   // the aggregator checks every node's part before anything is published
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aggregator = Task.Run(() => new Aggregator(store, name, dataset, log).RunAsync(settings, roundClosed, stop.Token, _ => opened.TrySetResult()), stop.Token);
        // The nodes start once this federation's first global model is there: before it, the store may still show an
        // earlier, finished run under the same name.
        await Task.WhenAny(opened.Task, aggregator);
        if (aggregator.IsCompleted)
            return await aggregator;   // it failed before round 0: its exception
        var wait = TimeSpan.FromSeconds(Math.Max(60, settings.RoundTimeoutSeconds));
        using var processes = new ProcessGroup();
        var workers = new List<Task>();
        try
        {
            for (var node = 0; node < settings.Nodes; node++)
            {
                var index = node;
                workers.Add(workerCommand is null
                    ? Task.Run(() => new Worker(store, name, index, dataset.Train, log).RunAsync(wait, stop.Token), stop.Token)
                    : processes.Add(WorkerProcess.Start(workerCommand, index, name, store.Root, dataset.Directory, wait, log ?? (_ => { }))).WaitAsync(stop.Token));
            }
            // A node that fails is reported at once, not when the aggregator's deadline passes without it.
            var running = new List<Task>([aggregator, .. workers]);
            while (running.Count > 0)
            {
                var done = await Task.WhenAny(running);
                await done;   // rethrows a node's or the aggregator's failure
                running.Remove(done);
            }
            return await aggregator;
        }
        catch
        {
            await stop.CancelAsync();
            try
            { await Task.WhenAll([.. workers, aggregator]); }
            catch (Exception) { }   // the first failure is the one reported
            throw;
        }
    }

    /// <summary>The worker processes of one run, killed with it whatever way it ends.</summary>
    sealed class ProcessGroup : IDisposable
    {
        readonly List<WorkerProcess> processes = [];

        public WorkerProcess Add(WorkerProcess process)
        {
            processes.Add(process);
            return process;
        }

        public void Dispose()
        {
            foreach (var process in processes)
                process.Dispose();
        }
    }
}
