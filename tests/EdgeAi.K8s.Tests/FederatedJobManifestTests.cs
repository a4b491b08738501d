using k8s.Models;

namespace EdgeAi.K8s.Tests;

/// <summary>
/// k8s/jobs/federated as a user applies it: workers as an Indexed Job, one index per node, that retry each index on
/// its own; an aggregator whose settings agree with the workers'; both as restricted as the training Job, on the
/// same claim.
/// </summary>
public sealed class FederatedJobManifestTests
{
    static readonly Built Federated = Built.Of("jobs/federated");
    static V1Job Workers => Federated.Job("edgeai-fed-mnist-workers");
    static V1Job Aggregator => Federated.Job("edgeai-fed-mnist-aggregator");

    /// <summary>The value after <paramref name="option"/> in the aggregator's command.</summary>
    static string AggregatorOption(string option)
    {
        var command = Aggregator.Spec.Template.Spec.Containers.Single().Command;
        var at = command.IndexOf(option);
        Assert.True(at >= 0 && at + 1 < command.Count, $"the aggregator's command has no {option}: {string.Join(' ', command)}");
        return command[at + 1];
    }

    [Fact]
    public void It_is_the_two_jobs_of_one_run_and_nothing_else()
    {
        Assert.Equal(["edgeai-fed-mnist-aggregator", "edgeai-fed-mnist-workers"], Federated.Objects.OfType<V1Job>().Select(j => j.Metadata.Name).Order());
        // No claim of its own (the base's edgeai-books), and the NetworkPolicy that isolates the pods.
        Assert.Equal(["Job", "Job", "NetworkPolicy"], Federated.Objects.Select(o => ((k8s.IKubernetesObject)o).Kind).Order());
        var command = Workers.Spec.Template.Spec.Containers.Single().Command;
        Assert.Equal(["edgeai", "fed", "worker", "--name"], command.Take(4));
        Assert.Equal(AggregatorOption("--name"), command[4]);   // the workers follow the run the aggregator publishes
        Assert.DoesNotContain("--node", command);               // the index comes from JOB_COMPLETION_INDEX
        Assert.Equal(["edgeai", "fed", "aggregate"], Aggregator.Spec.Template.Spec.Containers.Single().Command.Take(3));
        Assert.All(Federated.Objects.OfType<V1Job>(), j => Assert.Equal("edgeai-fed", j.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]));
    }

    [Fact]
    public void The_workers_are_an_Indexed_Job_with_one_index_per_node_of_the_aggregator()
    {
        var spec = Workers.Spec;
        Assert.Equal("Indexed", spec.CompletionMode);
        var nodes = int.Parse(AggregatorOption("--nodes"));
        Assert.Equal(nodes, spec.Completions);
        Assert.Equal(nodes, spec.Parallelism);   // every node trains in every round
        Assert.NotNull(spec.BackoffLimitPerIndex);
        Assert.InRange(spec.BackoffLimitPerIndex!.Value, 1, 5);
        Assert.Null(spec.BackoffLimit);   // per index instead: one node's failures do not use up the others' retries
        // The run survives as many lost nodes as a round can do without, and no more.
        Assert.Equal(nodes - int.Parse(AggregatorOption("--min-nodes")), spec.MaxFailedIndexes);
        // A worker waits for the next round at least as long as the aggregator waits for a round's updates.
        var command = spec.Template.Spec.Containers.Single().Command;
        Assert.True(int.Parse(command[command.IndexOf("--timeout") + 1]) >= int.Parse(AggregatorOption("--round-timeout")));
    }

    [Fact]
    public void A_named_error_is_not_retried_and_an_evicted_pod_does_not_count()
    {
        foreach (var (job, action) in new[] { (Workers, "FailIndex"), (Aggregator, "FailJob") })
        {
            var rules = job.Spec.PodFailurePolicy.Rules;
            var usage = rules.Single(r => r.OnExitCodes is not null);
            Assert.Equal(action, usage.Action);
            Assert.Equal("In", usage.OnExitCodes.OperatorProperty);
            Assert.Equal([2], usage.OnExitCodes.Values);   // `edgeai`'s exit code for its named errors (CliTests)
            Assert.Equal(job.Spec.Template.Spec.Containers.Single().Name, usage.OnExitCodes.ContainerName);
            var disruption = rules.Single(r => r.OnPodConditions is not null);
            Assert.Equal("Ignore", disruption.Action);
            Assert.Equal("DisruptionTarget", disruption.OnPodConditions.Single().Type);
            Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);   // podFailurePolicy requires it
        }
    }

    [Fact]
    public void Both_run_restricted_without_a_token_and_share_the_books_claim()
    {
        foreach (var job in Federated.Objects.OfType<V1Job>())
        {
            var pod = job.Spec.Template.Spec;
            Assert.True(pod.SecurityContext.RunAsNonRoot);
            Assert.Equal(1000, pod.SecurityContext.RunAsUser);   // the image's user, who owns what it writes to /books
            Assert.Equal(1000, pod.SecurityContext.FsGroup);
            Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
            Assert.False(pod.AutomountServiceAccountToken);
            Assert.Null(pod.ServiceAccountName);
            var container = pod.Containers.Single();
            Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
            Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
            Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
            Assert.Null(container.SecurityContext.Capabilities.Add);

            Assert.Equal("/books", container.VolumeMounts.Single(m => m.Name == "books").MountPath);
            Assert.Equal("edgeai-books", pod.Volumes.Single(v => v.Name == "books").PersistentVolumeClaim.ClaimName);
            // A read-only root needs writable scratch folders; they are emptyDirs, nothing outside the claim persists.
            Assert.All(pod.Volumes.Where(v => v.Name != "books"), v => Assert.NotNull(v.EmptyDir));
            Assert.Equal(Built.Of("jobs/training").Job("edgeai-train").Spec.Template.Spec.Containers.Single().Image, container.Image);
            Assert.Equal(["POD_NAME=metadata.name", "POD_NAMESPACE=metadata.namespace", "NODE_NAME=spec.nodeName"],
                container.Env.Select(e => $"{e.Name}={e.ValueFrom.FieldRef.FieldPath}"));
            Assert.NotNull(job.Spec.TtlSecondsAfterFinished);
        }
    }

    [Fact]
    public void The_job_names_are_valid_labels_and_so_are_the_workers_pod_hostnames()
    {
        // Indexed pods get the hostname JOB-INDEX, a DNS label of at most 63 characters.
        var workers = Workers;
        Assert.True($"{workers.Metadata.Name}-{workers.Spec.Completions - 1}".Length <= 63);
        Assert.All(Federated.Objects.OfType<V1Job>(), j => Assert.Matches("^edgeai-fed-[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$", j.Metadata.Name));
    }
}
