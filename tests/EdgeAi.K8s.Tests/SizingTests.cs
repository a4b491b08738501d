using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Serialization;

namespace EdgeAi.K8s.Tests;

/// <summary>
/// The manifests' memory sizes against the measured figures of docs/performance.md ("Memory"): each pod's size holds
/// what it is for, plus the stated headroom. A new measurement there that no longer fits fails here, naming the pod.
/// </summary>
public sealed class SizingTests
{
    static readonly string K8s = Path.Combine(RealData.RepositoryRoot, "k8s");

    [Fact]
    public void Every_memory_size_in_the_manifests_holds_what_docs_performance_md_says_it_holds()
    {
        foreach (var name in new[] { "kernel-training", "kernel-idle", "server", "cli-training", "cli-serve", "pi-allocatable", "headroom" })
            Assert.True(PerformanceFigures.Measured.ContainsKey(name), $"docs/performance.md has no row `{name}`");
        var violations = Violations(PerformanceFigures.Measured);
        Assert.True(violations.Count == 0, string.Join('\n', violations));
    }

    [Fact]
    public void A_larger_measured_peak_fails_the_sizes_it_no_longer_fits()
    {
        // As if a new measurement found a training kernel of 1,000 MiB: the small replicas' request no longer holds it.
        var markdown = File.ReadAllText(PerformanceFigures.File);
        var larger = PerformanceFigures.Read(Regex.Replace(markdown, @"^\| `kernel-training` \| \d+ \|", "| `kernel-training` | 1000 |", RegexOptions.Multiline));
        Assert.Equal(1000, larger.Get("kernel-training"));
        var violations = Violations(larger);
        Assert.Contains(violations, v => v.StartsWith("overlays/k3s-pi: request", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("k8s/jupyterhub", StringComparison.Ordinal));

        // As if `edgeai train` were measured at 2,000 MiB: the training Job and both federated Jobs are too small.
        var cli = PerformanceFigures.Read(Regex.Replace(markdown, @"^\| `cli-training` \| \d+ \|", "| `cli-training` | 2000 |", RegexOptions.Multiline));
        Assert.Equal(2000, cli.Get("cli-training"));
        var federated = Violations(cli).Where(v => v.StartsWith("jobs/federated ", StringComparison.Ordinal)).ToList();
        Assert.Contains(federated, v => v.StartsWith("jobs/federated edgeai-fed-mnist-workers: limit", StringComparison.Ordinal));
        Assert.Contains(federated, v => v.StartsWith("jobs/federated edgeai-fed-mnist-aggregator: limit", StringComparison.Ordinal));

        // As if `edgeai serve` were measured at 500 MiB: the servers' request and limit no longer hold it.
        var serve = PerformanceFigures.Read(Regex.Replace(markdown, @"^\| `cli-serve` \| \d+ \|", "| `cli-serve` | 500 |", RegexOptions.Multiline));
        Assert.Equal(500, serve.Get("cli-serve"));
        Assert.Contains(Violations(serve), v => v.StartsWith("serving-pi: limit", StringComparison.Ordinal));
    }

    [Fact]
    public void The_manifests_point_to_docs_performance_md_instead_of_copying_its_figures()
    {
        // A figure copied into a comment goes stale when the measurement changes (one such copy sized a pod once).
        var copies = Directory.GetFiles(K8s, "*.yaml", SearchOption.AllDirectories)
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, line, i)))
            .Where(l => Regex.IsMatch(l.line, @"#.*\b\d[\d,.]* ?(MB|MiB|GB|GiB)\b(?! (Pi|Raspberry))"))
            .Select(l => $"{Path.GetRelativePath(RealData.RepositoryRoot, l.f)}:{l.i + 1}: {l.line.Trim()}").ToList();
        Assert.True(copies.Count == 0, "measured figures in manifests' comments:\n" + string.Join('\n', copies));
    }

    /// <summary>Each pod whose size does not hold what it is for, with the figures given.</summary>
    static List<string> Violations(IReadOnlyDictionary<string, double> f)
    {
        var violations = new List<string>();
        void AtLeast(string what, string quantity, double needed, string holds)
        {
            if (PerformanceFigures.MiB(quantity) < needed)
                violations.Add($"{what} {quantity} < {needed:F0} MiB ({holds}, with {f.Get("headroom")} % headroom)");
        }
        double training = f.Get("kernel-training"), idle = f.Get("kernel-idle"), server = f.Get("server");
        double oneTraining = f.WithHeadroom(server + training);

        // Every replica of the lab holds the server and at least one training kernel.
        foreach (var overlay in Built.Labs)
        {
            var resources = Built.Of(overlay).Jupyter.Resources;
            AtLeast($"{overlay}: request", resources.Requests["memory"].ToString(), oneTraining, "the server and one training kernel");
            AtLeast($"{overlay}: limit", resources.Limits["memory"].ToString(), oneTraining, "the server and one training kernel");
        }
        // The report's replica: the server and two kernels training at once.
        AtLeast("base: limit", Built.Of("base").Jupyter.Resources.Limits["memory"].ToString(), f.WithHeadroom(server + 2 * training), "the server and two training kernels");
        // The small replicas: the report's two notebooks side by side, and two of them on a Pi by their requests.
        var small = Built.Of("overlays/k3s-pi").Jupyter.Resources;
        AtLeast("overlays/k3s-pi: limit", small.Limits["memory"].ToString(), f.WithHeadroom(server + training + idle), "the server, a training kernel and an idle one");
        if (2 * PerformanceFigures.MiB(small.Requests["memory"].ToString()) > f.Get("pi-allocatable"))
            violations.Add($"overlays/k3s-pi: two requests of {small.Requests["memory"]} exceed a Pi's {f.Get("pi-allocatable")} MiB");

        // A student's server on the hub: one training kernel, not two.
        var hub = JsonNode.Parse(new SerializerBuilder().JsonCompatible().Build().Serialize(new DeserializerBuilder().Build()
            .Deserialize<object>(File.ReadAllText(Path.Combine(K8s, "jupyterhub", "values.yaml")))!))!["singleuser"]!["memory"]!;
        var hubLimit = (string)hub["limit"]!;
        if (PerformanceFigures.MiB(hubLimit) < oneTraining || PerformanceFigures.MiB(hubLimit) >= server + 2 * training)
            violations.Add($"k8s/jupyterhub: limit {hubLimit} not between {oneTraining:F0} MiB (one training kernel, with headroom) and {server + 2 * training:F0} MiB (two)");
        if (3 * PerformanceFigures.MiB((string)hub["guarantee"]!) > f.Get("pi-allocatable"))
            violations.Add($"k8s/jupyterhub: three guarantees of {hub["guarantee"]} exceed a Pi's {f.Get("pi-allocatable")} MiB");

        // The training Job: `edgeai train`.
        var job = Built.Of("jobs/training").Single<k8s.Models.V1Job>("edgeai-train").Spec.Template.Spec.Containers.Single().Resources;
        AtLeast("jobs/training: request", job.Requests["memory"].ToString(), f.WithHeadroom(f.Get("cli-training")), "edgeai train");
        AtLeast("jobs/training: limit", job.Limits["memory"].ToString(), f.WithHeadroom(f.Get("cli-training")), "edgeai train");

        // The federated Jobs: a worker trains as `edgeai train` does (on a part of the data); the aggregator holds
        // the global model and the updates and is given as much (its own peak is not measured).
        foreach (var federated in Built.Of("jobs/federated").Objects.OfType<k8s.Models.V1Job>())
        {
            var resources = federated.Spec.Template.Spec.Containers.Single().Resources;
            AtLeast($"jobs/federated {federated.Metadata.Name}: request", resources.Requests["memory"].ToString(), f.WithHeadroom(f.Get("cli-training")), "edgeai train");
            AtLeast($"jobs/federated {federated.Metadata.Name}: limit", resources.Limits["memory"].ToString(), f.WithHeadroom(f.Get("cli-training")), "edgeai train");
        }

        // The prediction server on every node: `edgeai serve` under load. It shares each Pi with the lab: beside a
        // replica of the base, or two small replicas, by their requests.
        foreach (var serving in new[] { "serving", "serving-pi" })
        {
            var resources = Built.Of(serving).Single<k8s.Models.V1DaemonSet>("edgeai-serve").Spec.Template.Spec.Containers.Single().Resources;
            AtLeast($"{serving}: request", resources.Requests["memory"].ToString(), f.WithHeadroom(f.Get("cli-serve")), "edgeai serve under load");
            AtLeast($"{serving}: limit", resources.Limits["memory"].ToString(), f.WithHeadroom(f.Get("cli-serve")), "edgeai serve under load");
        }
        var serve = PerformanceFigures.MiB(Built.Of("serving-pi").Single<k8s.Models.V1DaemonSet>("edgeai-serve").Spec.Template.Spec.Containers.Single().Resources.Requests["memory"].ToString());
        var replica = PerformanceFigures.MiB(Built.Of("overlays/pi").Jupyter.Resources.Requests["memory"].ToString());
        if (replica + serve > f.Get("pi-allocatable"))
            violations.Add($"serving-pi: its request and a replica's of overlays/pi ({replica + serve:F0} MiB) exceed a Pi's {f.Get("pi-allocatable")} MiB");
        if (2 * PerformanceFigures.MiB(small.Requests["memory"].ToString()) + serve > f.Get("pi-allocatable"))
            violations.Add($"serving-pi: its request and two of overlays/k3s-pi exceed a Pi's {f.Get("pi-allocatable")} MiB");
        return violations;
    }
}
