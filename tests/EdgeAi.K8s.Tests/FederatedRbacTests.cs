using System.Text.RegularExpressions;
using k8s.Models;

namespace EdgeAi.K8s.Tests;

/// <summary>
/// k8s/components/federated-rbac, as k8s/overlays/federated applies it: the lab's account may create, follow and
/// delete Jobs in its namespace and nothing more; the admission policy narrows which Jobs. The policy's CEL is read
/// here, not run: no API server evaluates it on the project's machines.
/// </summary>
public sealed class FederatedRbacTests
{
    static readonly Built Overlay = Built.Of("overlays/federated");
    static readonly string ComponentFolder = Path.Combine(RealData.RepositoryRoot, "k8s", "components", "federated-rbac");

    [Fact]
    public void The_role_grants_only_the_listed_verbs_on_jobs_in_its_namespace()
    {
        var role = Overlay.Single<V1Role>("edgeai-lab-federated-jobs");
        var granted = role.Rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{g}/{res}:{v}")))).Order();
        Assert.Equal(["batch/jobs:create", "batch/jobs:delete", "batch/jobs:get", "batch/jobs:list", "batch/jobs:watch"], granted);
        Assert.All(role.Rules, r => Assert.Null(r.NonResourceURLs));
        Assert.Null(role.Metadata.NamespaceProperty);   // the namespace it is applied in, the lab's

        var binding = Overlay.Single<V1RoleBinding>("edgeai-lab-federated-jobs");
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "edgeai-lab"), (subject.Kind, subject.Name));
        Assert.Null(subject.NamespaceProperty);   // the binding's own namespace: no other namespace's account
        Assert.Equal(("Role", "edgeai-lab-federated-jobs"), (binding.RoleRef.Kind, binding.RoleRef.Name));
        Assert.Equal(Overlay.Deployment.Spec.Template.Spec.ServiceAccountName, subject.Name);   // the notebook's pods
    }

    [Fact]
    public void Nothing_is_granted_cluster_wide_and_the_base_keeps_its_read_only_role()
    {
        var built = Overlay.Objects;
        Assert.DoesNotContain(built, o => o is V1ClusterRole or V1ClusterRoleBinding);
        // Every rule the lab's account holds, in the overlay: the base's #!cluster reads and the Jobs, no more.
        var all = built.OfType<V1Role>().SelectMany(r => r.Rules).SelectMany(r => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{res}:{v}"))).ToList();
        Assert.DoesNotContain(all, g => g.Contains('*'));
        Assert.DoesNotContain(all, g => g.StartsWith("pods/", StringComparison.Ordinal) || g.StartsWith("secrets", StringComparison.Ordinal));
        Assert.DoesNotContain(all, g => g is "pods:create" or "jobs:update" or "jobs:patch" or "jobs:deletecollection");

        var baseRole = Built.Of("base").Single<V1Role>("edgeai-lab-cluster-view");
        Assert.Equal(k8s.KubernetesJson.Serialize(baseRole), k8s.KubernetesJson.Serialize(Overlay.Single<V1Role>("edgeai-lab-cluster-view")));
        Assert.DoesNotContain(Built.Of("base").Objects, o => o is V1Role { Metadata.Name: "edgeai-lab-federated-jobs" });
        Assert.DoesNotContain(Built.Of("base").Objects, o => o is V1ValidatingAdmissionPolicy);
    }

    [Fact]
    public void The_admission_policy_holds_the_labs_account_to_the_federated_jobs()
    {
        var policy = Overlay.Single<V1ValidatingAdmissionPolicy>("edgeai-lab-federated-jobs");
        Assert.Equal("Fail", policy.Spec.FailurePolicy);
        var rule = policy.Spec.MatchConstraints.ResourceRules.Single();
        Assert.Equal(["batch"], rule.ApiGroups);
        Assert.Equal(["jobs"], rule.Resources);
        Assert.Equal(["CREATE", "UPDATE", "DELETE"], rule.Operations);   // every verb that writes a Job
        // Only the lab's account, in the namespace of the Job it asks for (the Role's namespace).
        Assert.Equal("request.userInfo.username == 'system:serviceaccount:' + request.namespace + ':edgeai-lab'",
            policy.Spec.MatchConditions.Single().Expression);

        var validations = policy.Spec.Validations.Select(v => v.Expression).ToList();
        Assert.Contains(validations, e => e.Contains("variables.job.metadata.name.startsWith('edgeai-fed-')") && !e.Contains("request.operation == 'DELETE' ||"));
        Assert.All(Built.Of("jobs/federated").Objects.OfType<V1Job>(), j => Assert.StartsWith("edgeai-fed-", j.Metadata.Name));

        // The image the policy admits is the image component's: a release that renames one renames both.
        var image = Built.Of("jobs/federated").Job("edgeai-fed-mnist-workers").Spec.Template.Spec.Containers.Single().Image;
        var admitted = Regex.Match(string.Join('\n', validations), @"c\.image\.startsWith\('([^']+)'\)").Groups[1].Value;
        Assert.Equal(image[..(image.LastIndexOf(':') + 1)], admitted);
        foreach (var field in new[] { "runAsNonRoot", "runAsUser != 0", "allowPrivilegeEscalation", "hostNetwork", "automountServiceAccountToken" })
            Assert.Contains(validations, e => e.Contains(field));
        Assert.Contains(validations, e => e.Contains("v.persistentVolumeClaim.claimName == 'edgeai-books'"));
        Assert.All(policy.Spec.Validations, v => Assert.False(string.IsNullOrWhiteSpace(v.Message)));

        var binding = Overlay.Single<V1ValidatingAdmissionPolicyBinding>("edgeai-lab-federated-jobs");
        Assert.Equal(policy.Metadata.Name, binding.Spec.PolicyName);
        Assert.Equal(["Deny"], binding.Spec.ValidationActions);
    }

    [Fact]
    public void The_federated_jobs_themselves_meet_what_the_policy_asks()
    {
        // The policy's rules as a user reads them, on the Jobs the lab creates (FederatedJobsTests holds those equal
        // to k8s/jobs/federated): a policy that refused them would make the component useless.
        foreach (var job in Built.Of("jobs/federated").Objects.OfType<V1Job>())
        {
            var pod = job.Spec.Template.Spec;
            Assert.Null(pod.InitContainers);
            Assert.True(pod.SecurityContext.RunAsNonRoot);
            Assert.NotEqual(0, pod.SecurityContext.RunAsUser);
            Assert.All(pod.Containers, c => Assert.False(c.SecurityContext.AllowPrivilegeEscalation));
            Assert.All(pod.Containers, c => Assert.Null(c.SecurityContext.Privileged));
            Assert.All(pod.Volumes, v => Assert.True(v.EmptyDir is not null || v.PersistentVolumeClaim?.ClaimName == "edgeai-books", v.Name));
            Assert.Null(pod.HostNetwork);
            Assert.False(pod.AutomountServiceAccountToken);
        }
    }

    [Fact]
    public void The_component_is_opt_in_and_applied_by_its_overlay()
    {
        Assert.Contains("../../components/federated-rbac\n", File.ReadAllText(Path.Combine(RealData.RepositoryRoot, "k8s", "overlays", "federated", "kustomization.yaml")));
        Assert.DoesNotContain("federated", File.ReadAllText(Path.Combine(RealData.RepositoryRoot, "k8s", "base", "kustomization.yaml")));
        Assert.True(File.Exists(Path.Combine(ComponentFolder, "admission-policy.yaml")));
        // The overlay is the base and the component: the Deployment the notebook runs in is the base's.
        Assert.Equal(k8s.KubernetesJson.Serialize(Built.Of("base").Deployment), k8s.KubernetesJson.Serialize(Overlay.Deployment));
    }
}
