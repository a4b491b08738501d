using k8s.Models;

namespace EdgeAi.K8s.Tests;

/// <summary>k8s/components/federated-isolation: no traffic in or out of the federated pods, whichever way their Jobs
/// were created (kubectl's k8s/jobs/federated, or the notebook under k8s/overlays/federated).</summary>
public sealed class FederatedIsolationTests
{
    public static TheoryData<string> Kustomizations() => new("jobs/federated", "jobs/federated-pi", "overlays/federated");

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void The_federated_pods_can_reach_nothing_and_nothing_reaches_them(string kustomization)
    {
        var policy = Built.Of(kustomization).Single<V1NetworkPolicy>("edgeai-fed-isolated");
        Assert.Equal(["Ingress", "Egress"], policy.Spec.PolicyTypes);
        Assert.Null(policy.Spec.Ingress);   // no rule: nothing allowed
        Assert.Null(policy.Spec.Egress);
        // It selects both Jobs' pods, and not the lab's.
        foreach (var job in Built.Of("jobs/federated").Objects.OfType<V1Job>())
            Assert.All(policy.Spec.PodSelector.MatchLabels, l => Assert.Equal(l.Value, job.Spec.Template.Metadata.Labels[l.Key]));
        var lab = Built.Of("base").Deployment.Spec.Template.Metadata.Labels;
        Assert.Contains(policy.Spec.PodSelector.MatchLabels, l => !lab.TryGetValue(l.Key, out var value) || value != l.Value);
    }
}
