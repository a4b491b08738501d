using k8s;

namespace EdgeAi.K8s.Tests;

/// <summary>Every kustomization builds, loads strictly, and passes the Kubernetes JSON schemas.</summary>
public sealed class ManifestValidityTests
{
    public static TheoryData<string> Kustomizations() => new([.. Built.Overlays, "storage"]);

    static string ValidateSchemas(string yaml) =>
        Built.Run("node", [Path.Combine(RealData.RepositoryRoot, "tests", "EdgeAi.K8s.Tests", "validate-schemas.mjs")], yaml);

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void BuildsLoadsStrictlyAndMatchesTheSchemas(string kustomization)
    {
        var built = Built.Of(kustomization);
        Assert.NotEmpty(built.Objects);
        var report = ValidateSchemas(built.Yaml);
        Assert.DoesNotContain("\"error\":\"", report);
        Assert.Equal(built.Yaml.Split("\n---\n").Length, report.Trim().Split('\n').Length);
    }

    [Fact]
    public void TheCheckersThemselvesCatchMistakes()
    {
        var deployment = Built.Of("base").Yaml.Split("\n---\n").Single(d => d.Contains("kind: Deployment"));
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(deployment.Replace("  replicas: 2", "  replica: 2"), null, strict: true));

        var error = Assert.Throws<InvalidOperationException>(() => ValidateSchemas(deployment.Replace("containerPort: 8888", "containerPort: \"8888\"")));
        Assert.Contains("containerPort must be integer", error.Message);
        var ingress = Built.Of("base").Yaml.Split("\n---\n").Single(d => d.Contains("kind: Ingress"));
        error = Assert.Throws<InvalidOperationException>(() => ValidateSchemas(ingress.Replace("pathType: Prefix", "pathType: Everything")));
        Assert.Contains("pathType", error.Message);
    }
}
