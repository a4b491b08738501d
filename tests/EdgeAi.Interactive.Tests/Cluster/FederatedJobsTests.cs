using System.Net;
using System.Text.Json.Nodes;
using EdgeAi.Core;
using EdgeAi.Interactive.Cluster;
using k8s;
using k8s.Models;

namespace EdgeAi.Interactive.Tests.Cluster;

/// <summary>
/// The Jobs the notebook creates are k8s/jobs/federated's (built by kustomize here, so the YAML and the C# cannot
/// drift), sent as two POSTs to the API server, and its refusals come back as a sentence that says what to do.
/// </summary>
public sealed class FederatedJobsTests
{
    const string Namespace = "class";
    static readonly FederatedOptions Mnist = new("mnist");   // what k8s/jobs/federated applies

    [Theory]
    [InlineData("jobs/federated", false)]
    [InlineData("jobs/federated-pi", true)]
    public void The_jobs_are_the_kustomizations_for_the_same_options(string kustomization, bool spread)
    {
        var built = Kustomize(kustomization);
        var options = Mnist with { Spread = spread };
        foreach (var job in new[] { FederatedJobs.Workers(options), FederatedJobs.Aggregator(options) })
        {
            var applied = built.Single(j => j.Metadata.Name == job.Metadata.Name);
            var (pod, appliedPod) = (job.Spec.Template.Spec, applied.Spec.Template.Spec);
            // The fields a user would look at first, for a readable failure; then the whole object.
            Assert.Equal(appliedPod.Containers.Single().Image, pod.Containers.Single().Image);
            Assert.Equal(appliedPod.Containers.Single().Command, pod.Containers.Single().Command);
            Assert.Equal(applied.Spec.CompletionMode, job.Spec.CompletionMode);
            Assert.Equal(applied.Spec.Completions, job.Spec.Completions);
            Assert.Equal(applied.Spec.MaxFailedIndexes, job.Spec.MaxFailedIndexes);
            Assert.Equal(Canonical(appliedPod.SecurityContext), Canonical(pod.SecurityContext));
            Assert.Equal(Canonical(appliedPod.Containers.Single().SecurityContext), Canonical(pod.Containers.Single().SecurityContext));
            Assert.Equal(Canonical(appliedPod.Volumes), Canonical(pod.Volumes));
            Assert.Equal(Canonical(applied), Canonical(job));
        }
    }

    [Fact]
    public void Options_reach_the_fields_that_carry_them()
    {
        var options = new FederatedOptions("six") { Nodes = 6, MinNodes = 4, Rounds = 3, Partition = "dirichlet:0.5", Strategy = "fedprox", Mu = 0.01, RoundTimeoutSeconds = 60, Seed = 7, Image = "ghcr.io/edgeai-cluster/edgeai-lab:9.9.9" };
        var workers = FederatedJobs.Workers(options);
        Assert.Equal(("Indexed", 6, 6, 2), (workers.Spec.CompletionMode, workers.Spec.Completions, workers.Spec.Parallelism, workers.Spec.MaxFailedIndexes));
        Assert.Equal(["edgeai", "fed", "worker", "--name", "six", "--timeout", "120"], workers.Spec.Template.Spec.Containers.Single().Command);
        var aggregator = FederatedJobs.Aggregator(options).Spec.Template.Spec.Containers.Single();
        Assert.Equal(["edgeai", "fed", "aggregate", "--name", "six", "--nodes", "6", "--rounds", "3", "--local-epochs", "1", "--partition", "dirichlet:0.5",
                      "--strategy", "fedprox", "--mu", "0.01", "--min-nodes", "4", "--round-timeout", "60", "--seed", "7"], aggregator.Command);
        Assert.Equal("ghcr.io/edgeai-cluster/edgeai-lab:9.9.9", aggregator.Image);
        Assert.DoesNotContain("--mu", FederatedJobs.Aggregator(Mnist).Spec.Template.Spec.Containers.Single().Command);
        // A worker waits two round timeouts, within what `edgeai fed worker --timeout` accepts.
        var longest = FederatedJobs.Workers(Mnist with { RoundTimeoutSeconds = FederatedOptions.MaxTimeoutSeconds }).Spec.Template.Spec.Containers.Single().Command;
        Assert.Equal(FederatedOptions.MaxTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), longest[^1]);
    }

    [Theory]
    [InlineData("mnist", "edgeai-fed-mnist")]
    [InlineData("mnist_run.2", null)]
    [InlineData("a-very-long-name-for-one-federated-run-of-mnist-on-the-pis-r204", null)]
    [InlineData("9_.", null)]
    public void Job_names_are_dns_labels_with_room_for_the_workers_index_and_distinct_per_name(string name, string? expected)
    {
        var options = new FederatedOptions(name) { Nodes = FederatedOptions.MaxNodes };
        if (expected is not null)
            Assert.Equal(expected, options.JobStem);
        foreach (var job in new[] { options.AggregatorJob, $"{options.WorkersJob}-{FederatedOptions.MaxNodes - 1}" })
            Assert.Matches("^edgeai-fed-[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", job);
        Assert.True($"{options.WorkersJob}-{FederatedOptions.MaxNodes - 1}".Length <= 63);
        Assert.Equal(options.JobStem, new FederatedOptions(name).JobStem);   // the same name, the same Jobs
        Assert.NotEqual(options.JobStem, new FederatedOptions(name + "x").JobStem);
        Assert.NotEqual(new FederatedOptions("mnist.a").JobStem, new FederatedOptions("mnist-a").JobStem);   // two runs in the store
        Assert.Equal(name, FederatedJobs.Aggregator(options).Spec.Template.Spec.Containers.Single().Command[4]);   // the run keeps its name
    }

    [Theory]
    [InlineData("partition", "Partition 'dirichlet:0': alpha 0 must be above 0")]
    [InlineData("strategy", "Strategy 'fedsgd' is not known. Allowed: fedavg, fedprox, fedavgm or fedadam")]
    [InlineData("min-nodes", "min nodes 5 is outside 1-4 (the nodes)")]
    [InlineData("name", "Model name 'Two words' is not allowed")]
    public async Task Options_edgeai_would_refuse_are_refused_by_name_before_anything_is_sent(string what, string message)
    {
        var options = what switch
        {
            "partition" => Mnist with { Partition = "dirichlet:0" },
            "strategy" => Mnist with { Strategy = "fedsgd" },
            "min-nodes" => Mnist with { MinNodes = 5 },
            _ => new FederatedOptions("Two words"),
        };
        using var server = new StandInApiServer(_ => (HttpStatusCode.Created, "{}"));
        using var client = ClusterReader.Client(new KubernetesClientConfiguration { Host = server.Url });
        var e = await Assert.ThrowsAsync<EdgeAiException>(() => FederatedJobs.CreateAsync(client, options, Namespace, CancellationToken.None));
        Assert.Contains(message, e.Message);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task The_workers_and_the_aggregator_are_posted_as_built()
    {
        using var server = new StandInApiServer(request => (HttpStatusCode.Created, request.Body));
        using var client = ClusterReader.Client(new KubernetesClientConfiguration { Host = server.Url });
        var run = await FederatedJobs.CreateAsync(client, Mnist, Namespace, CancellationToken.None);

        Assert.Equal(new CreatedFederatedJobs(Namespace, "edgeai-fed-mnist-workers", "edgeai-fed-mnist-aggregator"), run);
        Assert.Equal(["POST /apis/batch/v1/namespaces/class/jobs", "POST /apis/batch/v1/namespaces/class/jobs"], server.Requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.Equal(Canonical(FederatedJobs.Workers(Mnist)), Canonical(KubernetesJson.Deserialize<V1Job>(server.Requests[0].Body)));
        Assert.Equal(Canonical(FederatedJobs.Aggregator(Mnist)), Canonical(KubernetesJson.Deserialize<V1Job>(server.Requests[1].Body)));
    }

    [Fact]
    public async Task Forbidden_says_which_component_to_apply_and_sends_nothing_more()
    {
        var refusal = "jobs.batch is forbidden: User \"system:serviceaccount:class:edgeai-lab\" cannot create resource \"jobs\" in API group \"batch\" in the namespace \"class\"";
        using var server = new StandInApiServer(_ => (HttpStatusCode.Forbidden, StandInApiServer.Status(HttpStatusCode.Forbidden, "Forbidden", refusal)));
        using var client = ClusterReader.Client(new KubernetesClientConfiguration { Host = server.Url });
        var e = await Assert.ThrowsAsync<EdgeAiException>(() => FederatedJobs.CreateAsync(client, Mnist, Namespace, CancellationToken.None));

        Assert.StartsWith("Kubernetes refused to create Job edgeai-fed-mnist-workers in namespace class (403 Forbidden: " + refusal + ")", e.Message);
        Assert.Contains("k8s/components/federated-rbac", e.Message);
        Assert.Contains("kubectl -n class apply -k k8s/overlays/federated", e.Message);
        Assert.DoesNotContain("Operation returned", e.Message);   // KubernetesClient's own text
        Assert.DoesNotContain("\"kind\"", e.Message);             // nor the Status body as JSON
        Assert.Single(server.Requests);   // no aggregator without workers
    }

    [Fact]
    public async Task An_existing_run_names_its_jobs_and_leaves_no_half_run_behind()
    {
        const string deleted = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\"}";
        var exists = StandInApiServer.Status(HttpStatusCode.Conflict, "AlreadyExists", "jobs.batch \"edgeai-fed-mnist-aggregator\" already exists");
        using var server = new StandInApiServer(request => request switch
        {
            { Method: "DELETE" } => (HttpStatusCode.OK, deleted),
            _ when request.Body.Contains("\"name\":\"edgeai-fed-mnist-aggregator\"") => (HttpStatusCode.Conflict, exists),
            _ => (HttpStatusCode.Created, request.Body),
        });
        using var client = ClusterReader.Client(new KubernetesClientConfiguration { Host = server.Url });
        var e = await Assert.ThrowsAsync<EdgeAiException>(() => FederatedJobs.CreateAsync(client, Mnist, Namespace, CancellationToken.None));

        Assert.StartsWith("Job edgeai-fed-mnist-aggregator already exists in namespace class: a run named 'mnist' was started before.", e.Message);
        Assert.Contains("kubectl -n class delete job edgeai-fed-mnist-workers edgeai-fed-mnist-aggregator", e.Message);
        Assert.EndsWith("Job edgeai-fed-mnist-workers was created and has been deleted again.", e.Message);
        var delete = server.Requests.Last();
        Assert.Equal("DELETE /apis/batch/v1/namespaces/class/jobs/edgeai-fed-mnist-workers", $"{delete.Method} {delete.Path}");
        Assert.Contains("propagationPolicy=Background", delete.Query);   // its pods go with it
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task A_reply_over_the_cap_is_refused_as_clusters_are()
    {
        var huge = new string('a', (int)BoundedReplies.DefaultMaxBytes + 1024);
        using var server = new StandInApiServer(_ => (HttpStatusCode.Created, $"{{\"kind\":\"Job\",\"apiVersion\":\"batch/v1\",\"metadata\":{{\"name\":\"{huge}\"}}}}"));
        using var client = ClusterReader.Client(new KubernetesClientConfiguration { Host = server.Url });
        var e = await Assert.ThrowsAsync<ReplyTooLargeException>(() => FederatedJobs.CreateAsync(client, Mnist, Namespace, CancellationToken.None));
        Assert.Contains("POST /apis/batch/v1/namespaces/class/jobs", e.Message);
    }

    [Fact]
    public async Task Outside_a_cluster_it_says_how_to_start_the_run_instead()
    {
        if (ClusterReader.InCluster)
            Assert.Skip("these tests run inside a Kubernetes pod");
        var e = await Assert.ThrowsAsync<EdgeAiException>(() => FederatedJobs.CreateInClusterAsync(Mnist, CancellationToken.None));
        Assert.StartsWith("Not running in a Kubernetes cluster", e.Message);
        Assert.Contains("k8s/jobs/federated", e.Message);
    }

    /// <summary>`kubectl kustomize` (else `kustomize build`) of a folder under k8s/, its Jobs loaded strictly.</summary>
    static List<V1Job> Kustomize(string folder)
    {
        var directory = Path.Combine(RealData.RepositoryRoot, "k8s", folder);
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "kubectl")));
        var yaml = onPath ? Processes.Run("kubectl", "kustomize", directory) : Processes.Run("kustomize", "build", directory);
        return [.. KubernetesYaml.LoadAllFromString(yaml, null, strict: true).OfType<V1Job>()];
    }

    /// <summary>The object's JSON with every map's keys in order: labels are a dictionary, kustomize sorts them.</summary>
    static string Canonical(object? value)
    {
        static JsonNode? Sort(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value)))),
            JsonArray a => new JsonArray([.. a.Select(Sort)]),
            _ => node?.DeepClone(),
        };
        return Sort(JsonNode.Parse(KubernetesJson.Serialize(value)))?.ToJsonString() ?? "null";
    }
}
