using k8s;
using k8s.Models;

namespace EdgeAi.K8s.Tests;

/// <summary>k8s/serving (and k8s/serving-pi): `edgeai serve` on every node, as built output. What the server's
/// code says (its options, the paths that need no token, the image's store) is read from the code, not copied.</summary>
public sealed class ServingManifestTests
{
    static readonly Built Serving = Built.Of("serving");
    const string TokenDirectory = "/run/secrets/edgeai-serve";

    public static TheoryData<string> Kustomizations() => new("serving", "serving-pi");

    static V1DaemonSet DaemonSet(Built built) => built.Single<V1DaemonSet>("edgeai-serve");
    static V1PodSpec Pod(Built built) => DaemonSet(built).Spec.Template.Spec;
    static V1Container Server(Built built) => Pod(built).Containers.Single();
    static string Source(params string[] path) => File.ReadAllText(Path.Combine([RealData.RepositoryRoot, .. path]));

    [Fact]
    public void One_edgeai_serve_per_node_in_the_lab_image_follows_the_model_the_training_Job_saves()
    {
        Assert.Single(Serving.Objects.OfType<V1DaemonSet>());
        Assert.Empty(Serving.Objects.OfType<V1Deployment>());
        var server = Server(Serving);
        Assert.Equal(Built.Of("base").Jupyter.Image, server.Image);   // the release's pinned multi-arch tag
        Assert.Equal(["edgeai", "serve", "--host", "0.0.0.0", "--port", "8080", "--store", "/books/models", "--model", "mnist-mlp",
                      "--token-file", $"{TokenDirectory}/token"], server.Command);
        Assert.Null(server.Args);

        // Every option given is one `edgeai serve` has, and the store is where the training Job (the image's
        // EDGEAI_WEIGHTS_DIR, its default) and the notebooks save.
        var options = Source("kernel", "EdgeAi.Cli", "ServeCommand.cs");
        foreach (var option in server.Command.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            Assert.Contains($"(\"{option}\")", options);
        Assert.Contains("EDGEAI_WEIGHTS_DIR=/books/models", Source("docker", "Dockerfile"));
        var train = Built.Of("jobs/training").Job("edgeai-train").Spec.Template.Spec.Containers.Single();
        Assert.DoesNotContain("--store", train.Command);
        Assert.DoesNotContain("--name", train.Command);   // so it saves the default name, mnist-mlp
        Assert.Contains("BaseName = \"mnist-mlp\"", Source("kernel", "EdgeAi.Core", "Store", "ModelRef.cs"));

        Assert.Equal(8080, server.Ports.Single(p => p.Name == "http").ContainerPort);
        Assert.NotNull(server.Resources.Requests["cpu"]);
        Assert.Equal(server.Resources.Requests["memory"], server.Resources.Limits["memory"]);   // sized in SizingTests
    }

    [Fact]
    public void The_probes_ask_the_two_health_paths_which_need_no_token()
    {
        var server = Server(Serving);
        Assert.Equal("/v2/health/ready", server.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/v2/health/live", server.LivenessProbe.HttpGet.Path);
        foreach (var probe in new[] { server.ReadinessProbe, server.LivenessProbe })
        {
            Assert.Equal("http", probe.HttpGet.Port.Value);
            Assert.Null(probe.HttpGet.HttpHeaders);   // no token in the manifest
        }
        // The server maps both and lets every /v2/health path through without the token.
        var code = Source("kernel", "EdgeAi.Serving", "InferenceServer.cs");
        Assert.Contains("MapGet(\"/v2/health/live\"", code);
        Assert.Contains("MapGet(\"/v2/health/ready\"", code);
        Assert.Contains("StartsWithSegments(\"/v2/health\")", code);
        Assert.Contains("routes.MapMetrics(\"/metrics\"", code);   // /metrics is behind the token: no scrape annotations
        Assert.Null(DaemonSet(Serving).Spec.Template.Metadata.Annotations);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void The_pods_meet_Pod_Security_restricted_write_only_tmp_and_reach_no_API(string kustomization)
    {
        var built = Built.Of(kustomization);
        var pod = Pod(built);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal(1000, pod.SecurityContext.RunAsUser);   // the image's user lab
        Assert.Equal(1000, pod.SecurityContext.RunAsGroup);
        Assert.Equal(1000, pod.SecurityContext.FsGroup);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.Null(pod.HostNetwork);
        Assert.Null(pod.HostPID);
        Assert.Null(pod.HostIPC);
        var container = Server(built).SecurityContext;
        Assert.False(container.AllowPrivilegeEscalation);
        Assert.True(container.ReadOnlyRootFilesystem);
        Assert.Equal(["ALL"], container.Capabilities.Drop);
        Assert.Null(container.Capabilities.Add);
        Assert.Null(container.Privileged);
        Assert.All(Server(built).Ports, p => Assert.Null(p.HostPort));

        // Its own account, which mounts no token; the pod asks for none either.
        Assert.Equal("edgeai-serve", pod.ServiceAccountName);
        Assert.False(pod.AutomountServiceAccountToken);
        Assert.False(built.Single<V1ServiceAccount>("edgeai-serve").AutomountServiceAccountToken);
        Assert.Empty(built.Objects.OfType<V1RoleBinding>());

        // Writable: /tmp (an emptyDir) and nothing else.
        var volumes = pod.Volumes.ToDictionary(v => v.Name);
        var writable = Server(built).VolumeMounts.Where(m => m.ReadOnlyProperty != true).ToList();
        Assert.Equal(["/tmp"], writable.Select(m => m.MountPath));
        Assert.NotNull(volumes[writable.Single().Name].EmptyDir);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void The_store_is_the_books_claim_read_only_and_the_token_a_Secret_file(string kustomization)
    {
        var built = Built.Of(kustomization);
        var pod = Pod(built);
        var mounts = Server(built).VolumeMounts.ToDictionary(m => m.Name);

        var books = pod.Volumes.Single(v => v.Name == "books");
        Assert.Equal("edgeai-books", books.PersistentVolumeClaim.ClaimName);   // the base's claim, as the lab and the Jobs mount it
        Assert.True(books.PersistentVolumeClaim.ReadOnlyProperty);
        Assert.Equal("/books", mounts["books"].MountPath);
        Assert.True(mounts["books"].ReadOnlyProperty);
        Assert.Equal(Built.Of("base").Deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == "books").PersistentVolumeClaim.ClaimName,
                     books.PersistentVolumeClaim.ClaimName);

        var token = pod.Volumes.Single(v => v.Name == "token").Secret;
        Assert.Equal("edgeai-serve-token", token.SecretName);
        Assert.NotEqual(true, token.Optional);   // no Secret, no server: never one without a token
        Assert.Equal("token", token.Items.Single().Key);
        Assert.Equal("token", token.Items.Single().Path);
        Assert.Equal(Convert.ToInt32("440", 8), token.DefaultMode);   // owner root, group fsGroup 1000: read only
        Assert.Equal(TokenDirectory, mounts["token"].MountPath);
        Assert.True(mounts["token"].ReadOnlyProperty);
        Assert.Null(Server(built).Env);   // no token in the environment either

        // No token value is committed: the built output holds no Secret.
        Assert.Empty(built.Objects.OfType<V1Secret>());
    }

    [Fact]
    public void The_Service_answers_on_8080_from_the_servers_of_the_callers_own_node()
    {
        var service = Serving.Single<V1Service>("edgeai-serve");
        var port = service.Spec.Ports.Single();
        Assert.Equal(8080, port.Port);
        Assert.Equal("http", port.TargetPort.Value);
        Assert.Equal("Local", service.Spec.InternalTrafficPolicy);
        Assert.Null(service.Spec.Type);   // ClusterIP: in the cluster only
        var labels = DaemonSet(Serving).Spec.Template.Metadata.Labels;
        Assert.All(service.Spec.Selector, l => Assert.Equal(l.Value, labels[l.Key]));
        Assert.All(DaemonSet(Serving).Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, labels[l.Key]));
        // Not the lab's pods.
        var lab = Built.Of("base").Deployment.Spec.Template.Metadata.Labels;
        Assert.Contains(service.Spec.Selector, l => !lab.TryGetValue(l.Key, out var value) || value != l.Value);
    }

    [Fact]
    public void Only_the_clients_that_opt_in_and_Prometheus_reach_port_8080_and_nothing_goes_out()
    {
        var policy = Serving.Single<V1NetworkPolicy>("edgeai-serve");
        var labels = DaemonSet(Serving).Spec.Template.Metadata.Labels;
        Assert.All(policy.Spec.PodSelector.MatchLabels, l => Assert.Equal(l.Value, labels[l.Key]));
        Assert.NotEmpty(policy.Spec.PodSelector.MatchLabels);
        Assert.Equal(["Ingress", "Egress"], policy.Spec.PolicyTypes);
        Assert.Null(policy.Spec.Egress);   // no rule: nothing out, DNS included

        var rule = policy.Spec.Ingress.Single();
        Assert.Equal(["8080/TCP"], rule.Ports.Select(p => $"{p.Port.Value}/{p.Protocol}"));
        Assert.Equal(2, rule.FromProperty.Count);
        // Pods of this namespace with the client label (no namespaceSelector: this namespace only).
        var clients = rule.FromProperty[0];
        Assert.Null(clients.NamespaceSelector);
        Assert.Equal(new Dictionary<string, string> { ["edgeai-serve-client"] = "true" }, clients.PodSelector.MatchLabels);
        // Prometheus' pods in its namespace, both named.
        var prometheus = rule.FromProperty[1];
        Assert.Equal("monitoring", prometheus.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Equal("prometheus", prometheus.PodSelector.MatchLabels["app.kubernetes.io/name"]);
        // No peer is everything: no address block, no empty selector.
        Assert.All(rule.FromProperty, peer =>
        {
            Assert.Null(peer.IpBlock);
            Assert.NotEmpty(peer.PodSelector.MatchLabels);
            Assert.True(peer.NamespaceSelector is null || peer.NamespaceSelector.MatchLabels.Count > 0);
        });

        // None of the project's own pods is a client by accident.
        foreach (var kustomization in new[] { "base", "jobs/training", "jobs/federated" })
            foreach (var template in Built.Of(kustomization).Objects.Select(PodTemplate).OfType<V1PodTemplateSpec>())
                Assert.False(template.Metadata.Labels.ContainsKey("edgeai-serve-client"), kustomization);
    }

    static V1PodTemplateSpec? PodTemplate(object o) => o switch
    {
        V1Deployment d => d.Spec.Template,
        V1Job j => j.Spec.Template,
        V1DaemonSet s => s.Spec.Template,
        _ => null,
    };

    [Fact]
    public void On_Raspberry_Pis_the_servers_run_on_the_arm64_nodes_the_rpi_component_selects_and_nothing_else_changes()
    {
        var pi = Built.Of("serving-pi");
        var selector = Pod(pi).NodeSelector;
        Assert.Equal("arm64", selector["kubernetes.io/arch"]);
        Assert.Equal(Built.Of("overlays/pi").Deployment.Spec.Template.Spec.NodeSelector, selector);
        Assert.Null(Pod(Serving).NodeSelector);   // without it, every node
        Assert.Contains("components/rpi\n", File.ReadAllText(Path.Combine(RealData.RepositoryRoot, "k8s", "serving-pi", "kustomization.yaml")));

        var copy = KubernetesJson.Deserialize<V1DaemonSet>(KubernetesJson.Serialize(DaemonSet(pi)));   // a copy: Built is shared
        copy.Spec.Template.Spec.NodeSelector = null;
        Assert.Equal(KubernetesJson.Serialize(DaemonSet(Serving)), KubernetesJson.Serialize(copy));
        Assert.Equal(Serving.Objects.Count, pi.Objects.Count);
        // The lab's overlays get no server from the component.
        Assert.Empty(Built.Of("overlays/k3s-pi").Objects.OfType<V1DaemonSet>());
    }

    [Fact]
    public void The_Secret_is_created_as_the_manifests_and_the_docs_say()
    {
        foreach (var path in new[] { new[] { "docs", "kubernetes.md" }, ["k8s", "serving", "kustomization.yaml"], ["k8s", "serving", "daemonset.yaml"] })
            Assert.Contains("create secret generic edgeai-serve-token --from-literal=token=\"$(openssl rand -hex 32)\"", Source(path));
    }
}
