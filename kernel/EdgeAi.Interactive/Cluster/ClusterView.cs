using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EdgeAi.Interactive.Cluster;

public sealed record PodView(string Name, string? Node, string Phase, bool Ready, string? Ip);

public sealed record ClusterView(
    string Namespace, PodView Pod, string? Deployment, int? DesiredReplicas, IReadOnlyList<PodView> Replicas,
    string? BooksClaim, string? BooksVolume, string? BooksAccessModes, string? BooksCapacity);

/// <summary>
/// Where this kernel runs, read with KubernetesClient and the pod's service account: its pod and node, the
/// Deployment behind it and that Deployment's pods, and the claim mounted at /books. Needs only get/list on
/// pods, get on deployments and persistentvolumeclaims (the Role in k8s/base).
/// </summary>
public static class ClusterReader
{
    public const string BooksPath = "/books";
    const string NamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

    public static bool InCluster => KubernetesClientConfiguration.IsInCluster();

    public static async Task<ClusterView> ReadInClusterAsync(CancellationToken cancel)
    {
        using var client = Client(KubernetesClientConfiguration.InClusterConfig());
        var ns = PodNamespace();
        var pod = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } name ? name : Environment.MachineName;
        return await ReadAsync(client, ns, pod, cancel);
    }

    /// <summary>The namespace this pod runs in: POD_NAMESPACE (the downward API), else its service account's.</summary>
    public static string PodNamespace() =>
        Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } fromEnv ? fromEnv : File.ReadAllText(NamespaceFile).Trim();

    /// <summary>A client whose replies are capped (<see cref="BoundedReplies"/>).</summary>
    public static Kubernetes Client(KubernetesClientConfiguration config, long maxReplyBytes = BoundedReplies.DefaultMaxBytes) =>
        new(config, new BoundedReplies(maxReplyBytes));

    public static async Task<ClusterView> ReadAsync(IKubernetes client, string ns, string podName, CancellationToken cancel)
    {
        var pod = await Call(() => client.CoreV1.ReadNamespacedPodAsync(podName, ns, cancellationToken: cancel), $"pod {podName}");

        // The Deployment owns a ReplicaSet named DEPLOYMENT-HASH; the hash is the pod's pod-template-hash label,
        // so the name comes without reading ReplicaSets (one permission fewer).
        string? deploymentName = null;
        var replicaSet = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Kind == "ReplicaSet")?.Name;
        if (replicaSet is not null && pod.Metadata.Labels?.TryGetValue("pod-template-hash", out var hash) == true && replicaSet.EndsWith("-" + hash))
            deploymentName = replicaSet[..^(hash.Length + 1)];

        int? desired = null;
        var replicas = new List<PodView>();
        if (deploymentName is not null)
        {
            var deployment = await Call(() => client.AppsV1.ReadNamespacedDeploymentAsync(deploymentName, ns, cancellationToken: cancel), $"deployment {deploymentName}");
            desired = deployment.Spec.Replicas;
            var selector = string.Join(",", deployment.Spec.Selector.MatchLabels.Select(kv => $"{kv.Key}={kv.Value}"));
            var pods = await Call(() => client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: cancel), "pods");
            replicas.AddRange(pods.Items.Select(View).OrderBy(p => p.Name));
        }

        string? claim = null, volume = null, modes = null, capacity = null;
        var mount = pod.Spec.Containers.SelectMany(c => c.VolumeMounts ?? []).FirstOrDefault(m => m.MountPath == BooksPath);
        claim = pod.Spec.Volumes?.FirstOrDefault(v => v.Name == mount?.Name)?.PersistentVolumeClaim?.ClaimName;
        if (claim is not null)
        {
            var pvc = await Call(() => client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claim, ns, cancellationToken: cancel), $"claim {claim}");
            volume = pvc.Spec.VolumeName;
            modes = string.Join(", ", pvc.Status?.AccessModes ?? pvc.Spec.AccessModes ?? []);
            capacity = pvc.Status?.Capacity?.TryGetValue("storage", out var size) == true ? size.ToString() : null;
        }
        return new ClusterView(ns, View(pod), deploymentName, desired, replicas, claim, volume, modes, capacity);
    }

    static PodView View(V1Pod pod) => new(
        pod.Metadata.Name, pod.Spec.NodeName, pod.Status?.Phase ?? "Unknown",
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true, pod.Status?.PodIP);

    static async Task<T> Call<T>(Func<Task<T>> call, string what)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not ReplyTooLargeException && Inner<ReplyTooLargeException>(e) is { } tooLarge)
        {
            throw tooLarge;   // KubernetesClient may wrap what the handler threw
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Forbidden)
        {
            throw new EdgeAi.Core.EdgeAiException(
                $"The pod's service account may not read {what} (HTTP 403). Apply k8s/base's Role and RoleBinding, which grant get/list on pods and get on deployments and persistentvolumeclaims.", e);
        }
    }

    static T? Inner<T>(Exception e) where T : Exception
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is T found)
                return found;
        return null;
    }
}
