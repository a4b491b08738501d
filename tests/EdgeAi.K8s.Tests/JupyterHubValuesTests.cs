using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using YamlDotNet.Serialization;

namespace EdgeAi.K8s.Tests;

/// <summary>
/// k8s/jupyterhub/values.yaml, the class on the Zero to JupyterHub chart: our policy (always), and the chart's own
/// values schema at the pinned version where a checkout of jupyterhub/zero-to-jupyterhub-k8s is given in
/// EDGEAI_Z2JH_REPO (a git folder, bare or not: CI has no GitHub, so that part is opt-in).
/// </summary>
public sealed class JupyterHubValuesTests
{
    static readonly string ValuesFile = Path.Combine(RealData.RepositoryRoot, "k8s", "jupyterhub", "values.yaml");
    static readonly JsonNode Values = ReadYaml(File.ReadAllText(ValuesFile));
    static JsonNode SingleUser => Values["singleuser"]!;

    /// <summary>The chart version the values are written for: the one their install command names.</summary>
    static string ChartVersion => Regex.Match(File.ReadAllText(ValuesFile), @"--version (\S+)").Groups[1].Value;

    /// <summary>The commit of the chart's tag when these values were written (a moved tag fails the schema test).</summary>
    const string ChartCommit = "5c5f5df751588a68a7781ead01d0f62e88e2e72f";

    // In MiB, from docs/performance.md ("Memory"): one kernel training, an idle one, and the server, as measured; and
    // an estimate (no Pi here) of what a 4 GB Pi 4B leaves to pods after the OS and the k3s agent.
    static readonly double KernelPeakMB = PerformanceFigures.Measured.Get("kernel-training"), ServerMB = PerformanceFigures.Measured.Get("server"),
        IdleKernelMB = PerformanceFigures.Measured.Get("kernel-idle"), PiAllocatableMB = PerformanceFigures.Measured.Get("pi-allocatable");

    [Fact]
    public void Every_student_runs_this_release_of_the_lab_image_as_its_user()
    {
        var image = Built.Of("base").Jupyter.Image;   // the kustomize component's pinned, multi-arch tag
        Assert.Equal(image, $"{SingleUser["image"]!["name"]}:{SingleUser["image"]!["tag"]}");
        Assert.Equal("jupyterhub-singleuser", (string)SingleUser["cmd"]!);   // the entrypoint's hub mode
        Assert.Equal("1000", (string)SingleUser["uid"]!);
        Assert.Equal("1000", (string)SingleUser["fsGid"]!);
        var dockerfile = File.ReadAllText(Path.Combine(RealData.RepositoryRoot, "docker", "Dockerfile"));
        Assert.Contains($"HOME={SingleUser["storage"]!["homeMountPath"]}", dockerfile);
        Assert.Contains("useradd --uid 1000", dockerfile);
    }

    [Fact]
    public void Each_student_has_a_home_volume_and_everyone_mounts_the_reports_books_volume()
    {
        var storage = SingleUser["storage"]!;
        Assert.Equal("dynamic", (string)storage["type"]!);
        var books = storage["extraVolumes"]!.AsArray().Single(v => (string)v!["name"]! == "books")!;
        var claim = (string)books["persistentVolumeClaim"]!["claimName"]!;
        Assert.Equal("/books", (string)storage["extraVolumeMounts"]!.AsArray().Single(m => (string)m!["name"]! == "books")!["mountPath"]!);

        var storageBuilt = Built.Of("storage");
        Assert.Equal(["ReadWriteMany"], storageBuilt.Single<V1PersistentVolumeClaim>(claim).Spec.AccessModes);
        Assert.Equal(claim, Built.Of("base").Deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == "books").PersistentVolumeClaim.ClaimName);
    }

    [Fact]
    public void The_memory_limit_holds_a_training_kernel_and_three_students_fit_on_a_4GB_Pi()
    {
        var guarantee = PerformanceFigures.MiB((string)SingleUser["memory"]!["guarantee"]!);
        var limit = PerformanceFigures.MiB((string)SingleUser["memory"]!["limit"]!);
        Assert.InRange(limit, KernelPeakMB + ServerMB, KernelPeakMB + ServerMB + IdleKernelMB);   // one training kernel, not two
        Assert.True(guarantee <= limit);
        Assert.True(3 * guarantee <= PiAllocatableMB, $"3 x {guarantee} MB guaranteed > {PiAllocatableMB} MB");
        Assert.True(3 * (KernelPeakMB + ServerMB) <= PiAllocatableMB);
        Assert.Equal("arm64", (string)SingleUser["nodeSelector"]!["kubernetes.io/arch"]!);
    }

    [Fact]
    public void Idle_kernels_and_idle_servers_are_culled()
    {
        Assert.Equal("true", (string)Values["cull"]!["enabled"]!);
        Assert.InRange(int.Parse((string)Values["cull"]!["timeout"]!), 600, 3600);
        var culling = SingleUser["extraFiles"]!["kernel-culling"]!;
        // A file Jupyter loads settings from (one in jupyter_server_config.d/ only enables extensions); the image
        // test JupyterHubTests mounts the same path and sees kernels culled.
        Assert.Equal("/usr/local/etc/jupyter/jupyter_server_config.json", (string)culling["mountPath"]!);
        var kernels = culling["data"]!["MappingKernelManager"]!;
        Assert.InRange(int.Parse((string)kernels["cull_idle_timeout"]!), 300, 3600);
        Assert.Equal("true", (string)kernels["cull_connected"]!);   // an open tab does not keep 800 MB alive
    }

    [Fact]
    public void The_image_is_pulled_before_students_wait_for_it()
    {
        Assert.Equal("true", (string)Values["prePuller"]!["hook"]!["enabled"]!);
        Assert.Equal("true", (string)Values["prePuller"]!["continuous"]!["enabled"]!);
        Assert.Equal("IfNotPresent", (string)SingleUser["image"]!["pullPolicy"]!);
    }

    [Fact]
    public void Students_log_in_to_the_hub_over_TLS_and_no_pod_is_privileged_or_online()
    {
        var hub = Values["hub"]!["config"]!;
        Assert.Equal("native", (string)hub["JupyterHub"]!["authenticator_class"]!);
        Assert.Equal("false", (string)hub["NativeAuthenticator"]!["open_signup"]!);
        Assert.InRange(int.Parse((string)hub["NativeAuthenticator"]!["minimum_password_length"]!), 10, 64);
        Assert.DoesNotContain("dummy", File.ReadAllText(ValuesFile), StringComparison.OrdinalIgnoreCase);

        var ingress = Values["ingress"]!;
        Assert.Equal("edgeai-lab-tls", (string)ingress["tls"]![0]!["secretName"]!);
        Assert.Equal(ingress["hosts"]!.ToJsonString(), ingress["tls"]![0]!["hosts"]!.ToJsonString());
        Assert.Equal("ClusterIP", (string)Values["proxy"]!["service"]!["type"]!);
        Assert.Equal("false", (string)SingleUser["cloudMetadata"]!["blockWithIptables"]!);   // no privileged init container
        Assert.Equal("false", (string)SingleUser["networkPolicy"]!["egressAllowRules"]!["nonPrivateIPs"]!);
    }

    [Fact]
    public void The_values_pass_the_charts_own_schema_at_the_pinned_version()
    {
        var chart = Environment.GetEnvironmentVariable("EDGEAI_Z2JH_REPO");
        if (string.IsNullOrEmpty(chart))
            Assert.Skip("set EDGEAI_Z2JH_REPO to a git folder of jupyterhub/zero-to-jupyterhub-k8s (CI has no GitHub)");
        Assert.Equal(ChartCommit, Built.Run("git", ["-C", chart, "rev-parse", $"{ChartVersion}^{{commit}}"]).Trim());
        using var work = new TempDirectory();
        var chartValues = Write(work, "values.yaml", Built.Run("git", ["-C", chart, "show", $"{ChartVersion}:jupyterhub/values.yaml"]));
        var schema = Write(work, "values.schema.yaml", Built.Run("git", ["-C", chart, "show", $"{ChartVersion}:jupyterhub/values.schema.yaml"]));

        Assert.Equal("""{"errors":[]}""", ValidateAgainstTheChart(ValuesFile, chartValues, schema).Trim());

        // The check itself catches what a typo or a wrong type would do to a class's hub.
        var broken = Write(work, "broken.yaml", File.ReadAllText(ValuesFile).Replace("  memory:\n    guarantee", "  memmory:\n    guarantee")
                                                                      .Replace("timeout: 1800", "timeout: half-an-hour"));
        var error = Assert.Throws<InvalidOperationException>(() => ValidateAgainstTheChart(broken, chartValues, schema));
        Assert.Contains("\"path\":\"/singleuser\",\"message\":\"must NOT have additional properties: memmory\"", error.Message);
        Assert.Contains("\"path\":\"/cull/timeout\"", error.Message);
    }

    static string Write(TempDirectory folder, string name, string text)
    {
        File.WriteAllText(folder.Combine(name), text);
        return folder.Combine(name);
    }

    static string ValidateAgainstTheChart(string values, string chartValues, string schema) =>
        Built.Run("node", [Path.Combine(RealData.RepositoryRoot, "tests", "EdgeAi.K8s.Tests", "validate-z2jh-values.mjs"), values, chartValues, schema]);

    /// <summary>YAML as JSON, every scalar a string (YamlDotNet's untyped view).</summary>
    static JsonNode ReadYaml(string yaml) =>
        JsonNode.Parse(new SerializerBuilder().JsonCompatible().Build().Serialize(new DeserializerBuilder().Build().Deserialize<object>(yaml)!))!;
}
