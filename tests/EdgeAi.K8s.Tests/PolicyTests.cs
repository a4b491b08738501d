using k8s.Models;

namespace EdgeAi.K8s.Tests;

/// <summary>The report's topology, corrected and secured, as built output.</summary>
public sealed class PolicyTests
{
    static readonly Built Base = Built.Of("base");

    public static TheoryData<string> AllKustomizations() => new(Built.Overlays);
    public static TheoryData<string> LabKustomizations() => new(Built.Labs);

    [Fact]
    public void TheBaseIsTheReportsTopology()
    {
        Assert.Equal(2, Base.Deployment.Spec.Replicas);
        var resources = Base.Jupyter.Resources;
        Assert.Equal("2Gi", resources.Requests["memory"].ToString());
        Assert.Equal("2Gi", resources.Limits["memory"].ToString());
        Assert.Equal(8888, Base.Jupyter.Ports.Single().ContainerPort);
        Assert.Equal("/books", Base.Jupyter.VolumeMounts.Single(m => m.Name == "books").MountPath);
        Assert.Equal(8888, Base.Single<V1Service>("edgeai-lab").Spec.Ports.Single().Port);

        var pv = Base.Single<V1PersistentVolume>("edgeai-books");
        Assert.Equal(["ReadWriteMany"], pv.Spec.AccessModes);
        Assert.Equal("192.168.1.10", pv.Spec.Nfs.Server);   // from the nfs-export values
        Assert.Equal("/srv/nfs/books", pv.Spec.Nfs.Path);
        var pvc = Base.Single<V1PersistentVolumeClaim>("edgeai-books");
        Assert.Equal(["ReadWriteMany"], pvc.Spec.AccessModes);
        Assert.Equal("edgeai-books", Base.Deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == "books").PersistentVolumeClaim.ClaimName);
        Assert.DoesNotContain(Base.Objects, o => o is V1ConfigMap);   // the NFS values are local config only
    }

    [Theory]
    [MemberData(nameof(LabKustomizations))]
    public void PodsMeetPodSecurityRestrictedAndTheTokenComesFromASecret(string kustomization)
    {
        var built = Built.Of(kustomization);
        var pod = built.Deployment.Spec.Template.Spec;
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal(1000, pod.SecurityContext.RunAsUser);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        var container = built.Jupyter.SecurityContext;
        Assert.False(container.AllowPrivilegeEscalation);
        Assert.True(container.ReadOnlyRootFilesystem);
        Assert.Equal(["ALL"], container.Capabilities.Drop);
        Assert.Null(container.Capabilities.Add);
        Assert.Null(container.Privileged);

        var token = built.Jupyter.Env.Single(e => e.Name == "JUPYTER_TOKEN");
        Assert.Null(token.Value);
        Assert.Equal("edgeai-lab-token", token.ValueFrom.SecretKeyRef.Name);
        Assert.NotEqual(true, token.ValueFrom.SecretKeyRef.Optional);
        Assert.Equal("/api", built.Jupyter.ReadinessProbe.HttpGet.Path);
        Assert.NotNull(built.Jupyter.LivenessProbe);
    }

    [Theory]
    [MemberData(nameof(AllKustomizations))]
    public void ImagesArePinned(string kustomization)
    {
        foreach (var image in Built.Of(kustomization).Yaml.Split('\n').Where(l => l.TrimStart().StartsWith("image:")).Select(l => l.Split("image:")[1].Trim()))
        {
            Assert.Matches(@":[0-9][\w.-]*$", image);
            Assert.DoesNotContain(":latest", image);
        }
    }

    [Fact]
    public void TheNginxIngressKeepsSessionsAndWebSocketsAndDoesNotRewrite()
    {
        var ingress = Base.Single<V1Ingress>("edgeai-lab");
        Assert.Equal("nginx", ingress.Spec.IngressClassName);
        var a = ingress.Metadata.Annotations;
        Assert.Equal("cookie", a["nginx.ingress.kubernetes.io/affinity"]);
        Assert.Equal("persistent", a["nginx.ingress.kubernetes.io/affinity-mode"]);
        Assert.Equal("/", a["nginx.ingress.kubernetes.io/session-cookie-path"]);
        Assert.True(a.ContainsKey("nginx.ingress.kubernetes.io/session-cookie-name"));
        Assert.Equal("3600", a["nginx.ingress.kubernetes.io/proxy-read-timeout"]);
        Assert.Equal("3600", a["nginx.ingress.kubernetes.io/proxy-send-timeout"]);
        Assert.True(a.ContainsKey("nginx.ingress.kubernetes.io/proxy-body-size"));
        Assert.DoesNotContain(a.Keys, k => k.Contains("rewrite-target"));
        Assert.Equal("/", ingress.Spec.Rules.Single().Http.Paths.Single().Path);
    }

    [Fact]
    public void TheRoleOnlyReadsWhatClusterNeeds()
    {
        var rules = Base.Single<V1Role>("edgeai-lab-cluster-view").Rules;
        var granted = rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{g}/{res}:{v}")))).Order();
        Assert.Equal(["/persistentvolumeclaims:get", "/pods:get", "/pods:list", "apps/deployments:get"], granted);
        var binding = Base.Single<V1RoleBinding>("edgeai-lab-cluster-view");
        Assert.Equal("edgeai-lab", binding.Subjects.Single().Name);
        Assert.Equal("Role", binding.RoleRef.Kind);
        Assert.Equal("edgeai-lab", Base.Deployment.Spec.Template.Spec.ServiceAccountName);
        // The Deployment and the claim by name; the account mounts its token only where a pod asks (the Deployment).
        Assert.Equal(["edgeai-lab"], rules.Single(r => r.Resources.Contains("deployments")).ResourceNames);
        Assert.Equal(["edgeai-books"], rules.Single(r => r.Resources.Contains("persistentvolumeclaims")).ResourceNames);
        Assert.False(Base.Single<V1ServiceAccount>("edgeai-lab").AutomountServiceAccountToken);
        Assert.True(Base.Deployment.Spec.Template.Spec.AutomountServiceAccountToken);
        Assert.False(Built.Of("jobs/training").Single<V1Job>("edgeai-train").Spec.Template.Spec.AutomountServiceAccountToken);
    }

    [Fact]
    public void The_token_and_cookies_travel_over_TLS()
    {
        var ingress = Base.Single<V1Ingress>("edgeai-lab");
        var tls = Assert.Single(ingress.Spec.Tls);
        Assert.Equal("edgeai-lab-tls", tls.SecretName);
        Assert.Equal(ingress.Spec.Rules.Select(r => r.Host), tls.Hosts);
        Assert.Equal("edgeai-ca", Built.Of("overlays/cert-manager").Single<V1Ingress>("edgeai-lab").Metadata.Annotations["cert-manager.io/cluster-issuer"]);
    }

    [Fact]
    public void Out_of_the_pod_only_DNS_and_the_API_server_are_reachable()
    {
        var egress = Base.Single<V1NetworkPolicy>("edgeai-lab-from-ingress").Spec.Egress;
        Assert.Equal(2, egress.Count);
        var dns = egress[0];
        Assert.Equal("kube-dns", dns.To.Single().PodSelector.MatchLabels["k8s-app"]);
        Assert.Equal(["53/UDP", "53/TCP"], dns.Ports.Select(p => $"{p.Port.Value}/{p.Protocol}"));
        var api = egress[1];
        Assert.Equal(["10.43.0.1/32", "192.168.1.10/32"], api.To.Select(t => t.IpBlock.Cidr));   // from cluster-network
        Assert.Equal(["443/TCP", "6443/TCP"], api.Ports.Select(p => $"{p.Port.Value}/{p.Protocol}"));
        Assert.DoesNotContain(egress.SelectMany(r => r.To), t => t.IpBlock?.Cidr is "0.0.0.0/0" or "::/0");
    }

    [Fact]
    public void OnlyTheIngressControllerReachesJupyter()
    {
        var policy = Base.Single<V1NetworkPolicy>("edgeai-lab-from-ingress");
        Assert.Equal(["Ingress", "Egress"], policy.Spec.PolicyTypes);
        var rule = policy.Spec.Ingress.Single();
        Assert.Equal("ingress-nginx", rule.FromProperty.Single().NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Equal("8888", rule.Ports.Single().Port.Value);
    }

    [Fact]
    public void The_image_the_manifests_pull_is_the_multi_arch_tag_the_workflow_pushes_for_this_version()
    {
        var workflow = File.ReadAllText(Path.Combine(RealData.RepositoryRoot, ".github", "workflows", "image.yml"));
        Assert.Contains("platform: linux/amd64", workflow);
        Assert.Contains("platform: linux/arm64", workflow);
        // The merge job names one index for both platforms: $IMAGE:<git tag without v>, IMAGE = ghcr.io/<owner>/edgeai-lab.
        Assert.Contains("version=${GITHUB_REF_NAME#v}", workflow);
        Assert.Contains("imagetools create -t \"$IMAGE:$version\"", workflow);
        Assert.Contains("IMAGE=ghcr.io/${GITHUB_REPOSITORY_OWNER,,}/edgeai-lab", workflow);
        var version = System.Xml.Linq.XDocument.Load(Path.Combine(RealData.RepositoryRoot, "Directory.Build.props"))
            .Descendants("Version").Single().Value;
        foreach (var built in new[] { Base, Built.Of("overlays/pi"), Built.Of("overlays/k3s-pi") })
            Assert.Equal($"ghcr.io/edgeai-cluster/edgeai-lab:{version}", built.Jupyter.Image);
    }

    [Fact]
    public void OverlaysChangeWhatTheyAreFor()
    {
        var rpi = Built.Of("overlays/pi");
        Assert.Equal("arm64", rpi.Deployment.Spec.Template.Spec.NodeSelector["kubernetes.io/arch"]);
        Assert.Equal(Base.Jupyter.Image, rpi.Jupyter.Image);

        var traefik = Built.Of("overlays/k3s");
        Assert.Equal("traefik", traefik.Single<V1Ingress>("edgeai-lab").Spec.IngressClassName);
        Assert.Equal("true", traefik.Single<V1Service>("edgeai-lab").Metadata.Annotations["traefik.ingress.kubernetes.io/service.sticky.cookie"]);

        var gateway = Built.Of("overlays/gateway-api");
        Assert.Empty(gateway.Objects.OfType<V1Ingress>());
        Assert.Contains("sessionPersistence:", gateway.Yaml);
        Assert.Contains("type: Cookie", gateway.Yaml);

        var small = Built.Of("overlays/k3s-pi");
        Assert.Equal(3, small.Deployment.Spec.Replicas);
        Assert.Equal("1200Mi", small.Jupyter.Resources.Requests["memory"].ToString());
        Assert.Equal("1792Mi", small.Jupyter.Resources.Limits["memory"].ToString());
    }

    [Fact]
    public void Each_component_is_a_kustomize_Component_that_an_overlay_combines()
    {
        var k8s = Path.Combine(RealData.RepositoryRoot, "k8s");
        var used = Built.Overlays.Select(o => File.ReadAllText(Path.Combine(k8s, o, "kustomization.yaml"))).ToList();
        foreach (var component in Directory.GetDirectories(Path.Combine(k8s, "components")).Select(Path.GetFileName))
        {
            Assert.Contains("\nkind: Component\n", File.ReadAllText(Path.Combine(k8s, "components", component!, "kustomization.yaml")));
            Assert.Contains(used, text => text.Contains($"components/{component}\n"));
        }

        // k3s on Raspberry Pis: all three components at once.
        var pi = Built.Of("overlays/k3s-pi");
        Assert.Equal("arm64", pi.Deployment.Spec.Template.Spec.NodeSelector["kubernetes.io/arch"]);
        Assert.Equal("traefik", pi.Single<V1Ingress>("edgeai-lab").Spec.IngressClassName);
        Assert.Equal(3, pi.Deployment.Spec.Replicas);
    }

    [Fact]
    public void TheTrainingJobWritesToTheSharedClaimHeadless()
    {
        var job = Built.Of("jobs/training").Single<V1Job>("edgeai-train");
        var container = job.Spec.Template.Spec.Containers.Single();
        Assert.Equal(["edgeai", "train", "--epochs", "3", "--batch-size", "32"], container.Command);
        Assert.Equal("/books", container.VolumeMounts.Single(m => m.Name == "books").MountPath);
        Assert.Equal("edgeai-books", job.Spec.Template.Spec.Volumes.Single(v => v.Name == "books").PersistentVolumeClaim.ClaimName);
        Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);
        Assert.True(job.Spec.Template.Spec.SecurityContext.RunAsNonRoot);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
    }
}
