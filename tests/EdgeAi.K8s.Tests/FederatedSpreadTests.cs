using k8s.Models;

namespace EdgeAi.K8s.Tests;

/// <summary>k8s/components/federated-spread, as k8s/jobs/federated-pi applies it: one worker per Pi, arm64 only.</summary>
public sealed class FederatedSpreadTests
{
    static readonly Built Pi = Built.Of("jobs/federated-pi");

    [Fact]
    public void The_workers_are_spread_one_per_node_over_hostnames()
    {
        var workers = Pi.Job("edgeai-fed-mnist-workers").Spec.Template;
        var spread = Assert.Single(workers.Spec.TopologySpreadConstraints);
        Assert.Equal("kubernetes.io/hostname", spread.TopologyKey);
        Assert.Equal("DoNotSchedule", spread.WhenUnsatisfiable);   // a second worker on a Pi waits rather than shares it
        Assert.Equal(1, spread.MaxSkew);
        // It counts the workers' own pods: its selector matches their labels, and only this Job's (job-name).
        Assert.All(spread.LabelSelector.MatchLabels, l => Assert.Equal(l.Value, workers.Metadata.Labels[l.Key]));
        Assert.Equal(["batch.kubernetes.io/job-name"], spread.MatchLabelKeys);
        Assert.Null(Pi.Job("edgeai-fed-mnist-aggregator").Spec.Template.Spec.TopologySpreadConstraints);
    }

    [Fact]
    public void Both_jobs_run_on_the_arm64_nodes_the_rpi_component_selects()
    {
        var rpi = Built.Of("overlays/pi").Deployment.Spec.Template.Spec.NodeSelector;
        Assert.All(Pi.Objects.OfType<V1Job>(), j => Assert.Equal(rpi, j.Spec.Template.Spec.NodeSelector));
        Assert.Equal("arm64", rpi["kubernetes.io/arch"]);
    }

    [Fact]
    public void Without_the_component_nothing_is_spread_or_selected_and_nothing_else_changes()
    {
        var plain = Built.Of("jobs/federated");
        Assert.All(plain.Objects.OfType<V1Job>(), j => Assert.Null(j.Spec.Template.Spec.TopologySpreadConstraints));
        Assert.All(plain.Objects.OfType<V1Job>(), j => Assert.Null(j.Spec.Template.Spec.NodeSelector));
        foreach (var job in plain.Objects.OfType<V1Job>())
        {
            var spread = k8s.KubernetesJson.Deserialize<V1Job>(k8s.KubernetesJson.Serialize(Pi.Job(job.Metadata.Name)));   // a copy: Built is shared
            spread.Spec.Template.Spec.NodeSelector = null;
            spread.Spec.Template.Spec.TopologySpreadConstraints = null;
            Assert.Equal(k8s.KubernetesJson.Serialize(job), k8s.KubernetesJson.Serialize(spread));
        }
    }
}
