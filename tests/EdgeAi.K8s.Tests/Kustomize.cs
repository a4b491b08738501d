using System.Diagnostics;
using k8s;
using k8s.Models;

namespace EdgeAi.K8s.Tests;

/// <summary>A kustomization built as `kubectl kustomize` builds it, and its objects.</summary>
public sealed class Built
{
    /// <summary>Every kustomization a user applies: the base, each overlay in k8s/overlays (a named combination of
    /// k8s/components; one added there is built and checked too), the training Job, the federated Jobs and the
    /// prediction server on every node.</summary>
    public static readonly string[] Overlays =
    [
        "base",
        .. Directory.GetDirectories(Path.Combine(RealData.RepositoryRoot, "k8s", "overlays")).Select(d => "overlays/" + Path.GetFileName(d)).Order(StringComparer.Ordinal),
        "jobs/training",
        "jobs/federated",
        "jobs/federated-pi",
        "serving",
        "serving-pi",
    ];

    /// <summary>The kustomizations of the lab itself (a Deployment), not of a Job or the prediction server.</summary>
    public static IEnumerable<string> Labs => Overlays.Where(o => o == "base" || o.StartsWith("overlays/", StringComparison.Ordinal));
    static readonly Dictionary<string, Built> cache = [];

    public string Yaml { get; }
    public IReadOnlyList<object> Objects { get; }

    Built(string yaml)
    {
        Yaml = yaml;
        // Strict: an unknown field (a typo such as `replica:`) fails. Gateway API kinds are not in the client's
        // type map; the schema test covers them.
        var core = string.Join("\n---\n", yaml.Split("\n---\n").Where(d => !d.Contains("apiVersion: gateway.networking.k8s.io")));
        Objects = KubernetesYaml.LoadAllFromString(core, null, strict: true);
    }

    public static Built Of(string kustomization)
    {
        lock (cache)
        {
            if (!cache.TryGetValue(kustomization, out var built))
                cache[kustomization] = built = new Built(Build(Path.Combine(RealData.RepositoryRoot, "k8s", kustomization)));
            return built;
        }
    }

    public T Single<T>(string? name = null) => Objects.OfType<T>().Single(o => name is null || ((IKubernetesObject<V1ObjectMeta>)o!).Metadata.Name == name);
    public V1Deployment Deployment => Single<V1Deployment>("edgeai-lab");
    public V1Container Jupyter => Deployment.Spec.Template.Spec.Containers.Single();
    public V1Job Job(string name) => Single<V1Job>(name);

    /// <summary>`kubectl kustomize DIR`, else `kustomize build DIR` (./lab test provides one of them).</summary>
    static string Build(string directory) =>
        OnPath("kubectl") ? Run("kubectl", ["kustomize", directory]) : Run("kustomize", ["build", directory]);

    static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)));

    public static string Run(string file, string[] arguments, string? input = null)
    {
        var result = Processes.Execute(Processes.Info(file, arguments), TimeSpan.FromMinutes(2), input);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {result.ExitCode}:\n{result.Output}");
        return result.Stdout;
    }
}
