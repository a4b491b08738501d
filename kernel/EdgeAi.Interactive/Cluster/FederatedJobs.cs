using k8s;
using k8s.Models;

namespace EdgeAi.Interactive.Cluster;

/// <summary>
/// The two Jobs of a federated run, as k8s/jobs/federated declares them (FederatedJobsTests holds the two equal):
/// the workers, an Indexed Job with one index per node, and the aggregator. They share nothing but the store on the
/// edgeai-books claim; neither gets an API token. Creating them takes k8s/components/federated-rbac.
/// </summary>
public static class FederatedJobs
{
    public const string BooksClaim = "edgeai-books";

    /// <summary>The workers' Indexed Job: completions and parallelism the nodes, each index retried on its own.</summary>
    public static V1Job Workers(FederatedOptions options)
    {
        options.Validate();
        var job = Job(options.WorkersJob, options, "fed-worker", "worker", options.WorkerCommand());
        job.Spec.CompletionMode = "Indexed";
        job.Spec.Completions = job.Spec.Parallelism = options.Nodes;
        job.Spec.BackoffLimitPerIndex = 2;
        // The Job fails once more nodes are lost than a round can do without.
        job.Spec.MaxFailedIndexes = options.Nodes - options.EffectiveMinNodes;
        job.Spec.PodFailurePolicy = FailurePolicy("FailIndex", "worker");
        if (options.Spread)
        {
            job.Spec.Template.Spec.TopologySpreadConstraints =
            [
                new V1TopologySpreadConstraint
                {
                    MaxSkew = 1,
                    TopologyKey = "kubernetes.io/hostname",
                    WhenUnsatisfiable = "DoNotSchedule",
                    LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/component"] = "fed-worker" } },
                    MatchLabelKeys = ["batch.kubernetes.io/job-name"],
                },
            ];
        }
        return job;
    }

    /// <summary>The aggregator's Job: one pod, retried once (it resumes from the store); a named error fails the run at once.</summary>
    public static V1Job Aggregator(FederatedOptions options)
    {
        options.Validate();
        var job = Job(options.AggregatorJob, options, "fed-aggregator", "aggregator", options.AggregatorCommand());
        job.Spec.BackoffLimit = 1;
        job.Spec.PodFailurePolicy = FailurePolicy("FailJob", "aggregator");
        return job;
    }

    /// <summary>
    /// Creates the workers, then the aggregator, in <paramref name="ns"/>. When the aggregator cannot be created the
    /// workers are deleted again, so no half a run waits for a round that never comes.
    /// </summary>
    public static async Task<CreatedFederatedJobs> CreateAsync(IKubernetes client, FederatedOptions options, string ns, CancellationToken cancel)
    {
        var workers = Workers(options);
        var aggregator = Aggregator(options);
        await FederatedJobErrors.Call(() => client.BatchV1.CreateNamespacedJobAsync(workers, ns, cancellationToken: cancel), options, workers.Metadata.Name, ns);
        try
        {
            await FederatedJobErrors.Call(() => client.BatchV1.CreateNamespacedJobAsync(aggregator, ns, cancellationToken: cancel), options, aggregator.Metadata.Name, ns);
        }
        catch (EdgeAi.Core.EdgeAiException created)
        {
            throw await FederatedJobErrors.AfterDeletingAsync(created, () =>
                client.BatchV1.DeleteNamespacedJobAsync(workers.Metadata.Name, ns, propagationPolicy: "Background", cancellationToken: CancellationToken.None), workers.Metadata.Name);
        }
        return new CreatedFederatedJobs(ns, workers.Metadata.Name, aggregator.Metadata.Name);
    }

    /// <summary>From a notebook in the cluster: the pod's service account, its namespace unless the options name
    /// one, replies capped as #!cluster's are (<see cref="BoundedReplies"/>).</summary>
    public static async Task<CreatedFederatedJobs> CreateInClusterAsync(FederatedOptions options, CancellationToken cancel)
    {
        options.Validate();
        if (!ClusterReader.InCluster)
            throw new EdgeAi.Core.EdgeAiException(
                "Not running in a Kubernetes cluster (no service account token in this pod, no KUBERNETES_SERVICE_HOST): the notebook cannot create " +
                "the federated Jobs. On this machine `edgeai fed run` runs a whole federation; on a cluster apply " +
                "k8s/jobs/federated with kubectl.");
        using var client = ClusterReader.Client(KubernetesClientConfiguration.InClusterConfig());
        var ns = options.Namespace ?? ClusterReader.PodNamespace();
        return await CreateAsync(client, options, ns, cancel);
    }

    static V1Job Job(string name, FederatedOptions options, string component, string container, IList<string> command)
    {
        var podLabels = new Dictionary<string, string>
        {
            ["app.kubernetes.io/name"] = "edgeai-fed",
            ["app.kubernetes.io/instance"] = options.JobStem,
            ["app.kubernetes.io/component"] = component,
        };
        var pod = new V1PodSpec
        {
            RestartPolicy = "Never",   // podFailurePolicy judges each failed pod; it needs Never
            AutomountServiceAccountToken = false,
            SecurityContext = new V1PodSecurityContext
            {
                RunAsNonRoot = true,
                RunAsUser = 1000,
                RunAsGroup = 1000,
                FsGroup = 1000,
                SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
            },
            Containers =
            [
                new V1Container
                {
                    Name = container,
                    Image = options.Image,
                    Command = command,
                    Env = [Downward("POD_NAME", "metadata.name"), Downward("POD_NAMESPACE", "metadata.namespace"), Downward("NODE_NAME", "spec.nodeName")],
                    // Sized as the training Job (docs/performance.md, "Memory").
                    Resources = new V1ResourceRequirements
                    {
                        Requests = new Dictionary<string, ResourceQuantity> { ["memory"] = new("1Gi"), ["cpu"] = new("1") },
                        Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("1Gi") },
                    },
                    SecurityContext = new V1SecurityContext
                    {
                        AllowPrivilegeEscalation = false,
                        ReadOnlyRootFilesystem = true,
                        Capabilities = new V1Capabilities { Drop = ["ALL"] },
                    },
                    VolumeMounts =
                    [
                        new V1VolumeMount { Name = "books", MountPath = ClusterReader.BooksPath },
                        new V1VolumeMount { Name = "home", MountPath = "/home/lab" },
                        new V1VolumeMount { Name = "tmp", MountPath = "/tmp" },
                    ],
                },
            ],
            Volumes =
            [
                new V1Volume { Name = "books", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = BooksClaim } },
                new V1Volume { Name = "home", EmptyDir = new V1EmptyDirVolumeSource() },
                new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource() },
            ],
        };
        if (options.Spread)
            pod.NodeSelector = new Dictionary<string, string> { ["kubernetes.io/arch"] = "arm64" };
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string>(podLabels) { ["app.kubernetes.io/part-of"] = "edgeai-cluster" } },
            Spec = new V1JobSpec
            {
                TtlSecondsAfterFinished = 86400,
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = podLabels }, Spec = pod },
            },
        };
    }

    /// <summary>Exit 2, <c>edgeai</c>'s named errors (a wrong option, refused data or store), is not retried: a retry
    /// would meet the same. A pod evicted or preempted is retried without counting.</summary>
    static V1PodFailurePolicy FailurePolicy(string onBadUsage, string container) => new()
    {
        Rules =
        [
            new V1PodFailurePolicyRule
            {
                Action = onBadUsage,
                OnExitCodes = new V1PodFailurePolicyOnExitCodesRequirement { ContainerName = container, OperatorProperty = "In", Values = [2] },
            },
            new V1PodFailurePolicyRule { Action = "Ignore", OnPodConditions = [new V1PodFailurePolicyOnPodConditionsPattern { Type = "DisruptionTarget" }] },
        ],
    };

    static V1EnvVar Downward(string name, string field) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = field } } };
}

/// <summary>The Jobs a federated run was started as.</summary>
public sealed record CreatedFederatedJobs(string Namespace, string WorkersJob, string AggregatorJob);
