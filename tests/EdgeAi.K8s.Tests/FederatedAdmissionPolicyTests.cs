using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace EdgeAi.K8s.Tests;

/// <summary>
/// The admission policy of k8s/components/federated-rbac, its CEL run on admission requests (evaluate-admission-
/// policy.mjs: a CEL interpreter in place of the API server, which cannot run here): it admits the federated Jobs
/// the lab creates, applies to the lab's account only, and each way out of the federated Jobs is refused by the
/// rule meant for it.
/// </summary>
public sealed class FederatedAdmissionPolicyTests
{
    const string Lab = "system:serviceaccount:edgeai:edgeai-lab";
    static readonly V1ValidatingAdmissionPolicy Policy = Built.Of("overlays/federated").Single<V1ValidatingAdmissionPolicy>("edgeai-lab-federated-jobs");
    static readonly V1Job[] Jobs = [.. Built.Of("jobs/federated").Objects.OfType<V1Job>(), .. Built.Of("jobs/federated-pi").Objects.OfType<V1Job>()];

    sealed record Decision(bool Matched, string[] Denied);

    static Decision[] Admit(params (string Operation, string Username, JsonNode? Object, JsonNode? OldObject)[] requests)
    {
        var input = new JsonObject
        {
            ["policy"] = JsonNode.Parse(KubernetesJson.Serialize(Policy)),
            ["requests"] = new JsonArray([.. requests.Select(r => new JsonObject
            {
                ["operation"] = r.Operation, ["username"] = r.Username, ["namespace"] = "edgeai",
                ["object"] = r.Object?.DeepClone(), ["oldObject"] = r.OldObject?.DeepClone(),
            })]),
        };
        var output = Built.Run("node", [Path.Combine(RealData.RepositoryRoot, "tests", "EdgeAi.K8s.Tests", "evaluate-admission-policy.mjs")], input.ToJsonString());
        return [.. output.Trim().Split('\n').Select(line => System.Text.Json.JsonSerializer.Deserialize<Decision>(line, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!)];
    }

    static JsonNode Json(V1Job job) => JsonNode.Parse(KubernetesJson.Serialize(job))!;

    [Fact]
    public void The_federated_jobs_are_admitted_for_the_labs_account()
    {
        var decisions = Admit([.. Jobs.Select(j => ("CREATE", Lab, (JsonNode?)Json(j), (JsonNode?)null))]);
        Assert.All(decisions, d => Assert.True(d.Matched && d.Denied.Length == 0, string.Join("; ", d.Denied)));
        Assert.Equal(Jobs.Length, decisions.Length);
    }

    [Fact]
    public void Other_accounts_are_not_its_concern()
    {
        var training = Json(Built.Of("jobs/training").Job("edgeai-train"));
        var decisions = Admit(("CREATE", "system:serviceaccount:other:edgeai-lab", training, null),   // another namespace's account
                              ("CREATE", "system:serviceaccount:edgeai:default", training, null),
                              ("CREATE", "kubernetes-admin", training, null),
                              ("CREATE", Lab, training, null));
        Assert.Equal([false, false, false, true], decisions.Select(d => d.Matched));
        Assert.NotEmpty(decisions[3].Denied);   // the lab itself may not create the training Job
    }

    public static TheoryData<string, string> WaysOut() => new()
    {
        { "named edgeai-train", "the lab's service account may create and delete only Jobs named edgeai-fed-*" },
        { "another image", "a federated Job runs the lab image ghcr.io/edgeai-cluster/edgeai-lab only" },
        { "an init container of another image", "a federated Job runs the lab image ghcr.io/edgeai-cluster/edgeai-lab only" },
        { "without runAsNonRoot", "a federated Job's pods run as non-root (runAsNonRoot: true, no runAsUser 0)" },
        { "a container as uid 0", "a federated Job's pods run as non-root (runAsNonRoot: true, no runAsUser 0)" },
        { "privileged", "a federated Job's containers are not privileged: allowPrivilegeEscalation false, no added capabilities" },
        { "privilege escalation", "a federated Job's containers are not privileged: allowPrivilegeEscalation false, no added capabilities" },
        { "an added capability", "a federated Job's containers are not privileged: allowPrivilegeEscalation false, no added capabilities" },
        { "the host's network", "a federated Job's pods use no host namespace and mount only the edgeai-books claim and emptyDir folders" },
        { "a host path", "a federated Job's pods use no host namespace and mount only the edgeai-books claim and emptyDir folders" },
        { "another claim", "a federated Job's pods use no host namespace and mount only the edgeai-books claim and emptyDir folders" },
        { "an API token", "a federated Job's pods get no API token (automountServiceAccountToken: false, the default account)" },
        { "the lab's account", "a federated Job's pods get no API token (automountServiceAccountToken: false, the default account)" },
        { "the lab's account by its deprecated field", "a federated Job's pods get no API token (automountServiceAccountToken: false, the default account)" },
    };

    [Theory]
    [MemberData(nameof(WaysOut))]
    public void Each_way_out_of_the_federated_jobs_is_refused_by_its_own_rule(string change, string message)
    {
        var job = Json(Built.Of("jobs/federated").Job("edgeai-fed-mnist-workers"));
        var pod = job["spec"]!["template"]!["spec"]!;
        var container = pod["containers"]![0]!;
        switch (change)
        {
            case "named edgeai-train":
                job["metadata"]!["name"] = "edgeai-train";
                break;
            case "another image":
                container["image"] = "docker.io/library/busybox:1.36";
                break;
            case "an init container of another image":
                pod["initContainers"] = new JsonArray(new JsonObject { ["name"] = "init", ["image"] = "docker.io/library/busybox:1.36", ["securityContext"] = container["securityContext"]!.DeepClone() });
                break;
            case "without runAsNonRoot":
                pod["securityContext"]!.AsObject().Remove("runAsNonRoot");
                break;
            case "a container as uid 0":
                container["securityContext"]!["runAsUser"] = 0;
                break;
            case "privileged":
                container["securityContext"]!["privileged"] = true;
                break;
            case "privilege escalation":
                container["securityContext"]!["allowPrivilegeEscalation"] = true;
                break;
            case "an added capability":
                container["securityContext"]!["capabilities"]!["add"] = new JsonArray("NET_ADMIN");
                break;
            case "the host's network":
                pod["hostNetwork"] = true;
                break;
            case "a host path":
                pod["volumes"]!.AsArray().Add(new JsonObject { ["name"] = "root", ["hostPath"] = new JsonObject { ["path"] = "/" } });
                break;
            case "another claim":
                pod["volumes"]![0]!["persistentVolumeClaim"]!["claimName"] = "someone-elses";
                break;
            case "an API token":
                pod["automountServiceAccountToken"] = true;
                break;
            case "the lab's account":
                pod["serviceAccountName"] = "edgeai-lab";
                break;
            case "the lab's account by its deprecated field":
                pod["serviceAccount"] = "edgeai-lab";
                break;
            default:
                throw new ArgumentException(change);
        }
        var decision = Admit(("CREATE", Lab, job, null)).Single();
        Assert.True(decision.Matched);
        Assert.Equal([message], decision.Denied);   // that rule, and no other, and not by an evaluation error
    }

    [Fact]
    public void Deleting_is_held_to_the_federated_names()
    {
        var decisions = Admit(("DELETE", Lab, null, Json(Built.Of("jobs/federated").Job("edgeai-fed-mnist-workers"))),
                              ("DELETE", Lab, null, Json(Built.Of("jobs/training").Job("edgeai-train"))));
        Assert.Empty(decisions[0].Denied);
        Assert.Equal(["the lab's service account may create and delete only Jobs named edgeai-fed-*"], decisions[1].Denied);
    }
}
