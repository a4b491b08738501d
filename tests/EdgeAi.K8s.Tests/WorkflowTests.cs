using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace EdgeAi.K8s.Tests;

/// <summary>
/// The GitHub workflows that release what the manifests deploy (.github/workflows). GitHub cannot be reached from
/// here, so they never run before a release: these checks are what stands between a typo and a broken release.
/// </summary>
public sealed class WorkflowTests
{
    static readonly string Folder = Path.Combine(RealData.RepositoryRoot, ".github", "workflows");

    public static TheoryData<string> Workflows() => new(Directory.GetFiles(Folder, "*.yml").Select(Path.GetFileName).Order()!);

    static string Validate(string path) =>
        Built.Run(Path.Combine(RealData.RepositoryRoot, "tests", "node_modules", ".bin", "action-validator"), [path]);

    [Theory]
    [MemberData(nameof(Workflows))]
    public void The_workflow_matches_GitHubs_workflow_schema(string workflow) => Validate(Path.Combine(Folder, workflow));

    [Fact]
    public void The_schema_check_catches_a_misspelt_key()
    {
        using var temp = new TempDirectory();
        var broken = temp.Combine("image.yml");
        File.WriteAllText(broken, File.ReadAllText(Path.Combine(Folder, "image.yml")).Replace("    runs-on:", "    run-on:"));
        var error = Assert.Throws<InvalidOperationException>(() => Validate(broken));
        Assert.Contains("Additional property 'run-on' is not allowed", error.Message);
    }

    [Theory]
    [MemberData(nameof(Workflows))]
    public void Every_action_is_pinned_to_a_commit_with_its_release_named_beside_it(string workflow)
    {
        // A tag can be moved to other code after review; a commit cannot. The comment says which release it is.
        var uses = File.ReadAllLines(Path.Combine(Folder, workflow)).Where(l => Regex.IsMatch(l, @"^\s*(- )?uses:")).ToList();
        Assert.NotEmpty(uses);
        Assert.All(uses, line => Assert.Matches(@"^\s*(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line));
    }

    [Theory]
    [MemberData(nameof(Workflows))]
    public void Checkouts_leave_no_token_in_the_working_copy(string workflow)
    {
        // Nothing here pushes with git; a token left in .git/config is one more place for a build step to read it.
        var checkouts = Steps(workflow).Where(s => Scalar(s, "uses")?.StartsWith("actions/checkout@") == true).ToList();
        Assert.All(checkouts, step => Assert.True(With(step, "persist-credentials") == "false", $"{workflow}: a checkout without persist-credentials: false"));
    }

    [Fact]
    public void Each_platforms_image_runs_the_notebooks_before_anything_is_pushed()
    {
        var steps = Steps("image.yml", "build");
        int Index(Func<YamlMappingNode, bool> match) => steps.FindIndex(s => match(s));
        var check = Index(s => Scalar(s, "run")?.StartsWith("docker/check-image.sh edgeai-lab:check") == true);
        var load = Index(s => Scalar(s, "uses")?.StartsWith("docker/build-push-action@") == true && With(s, "load") == "true");
        var push = Index(s => With(s, "outputs")?.Contains("push=true") == true);
        Assert.True(load >= 0 && check > load && push > check, $"build steps: load {load}, check {check}, push {push}");
        Assert.False(steps[check].Children.ContainsKey("if"), "the check runs for pull requests too");
    }

    static List<YamlMappingNode> Steps(string workflow, string? job = null)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Folder, workflow))));
        var jobs = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode).Children["jobs"];
        return jobs.Children.Where(j => job is null || j.Key.ToString() == job)
            .SelectMany(j => ((YamlSequenceNode)((YamlMappingNode)j.Value).Children["steps"]).Cast<YamlMappingNode>()).ToList();
    }

    static string? With(YamlMappingNode step, string input) =>
        step.Children.TryGetValue("with", out var with) ? Scalar((YamlMappingNode)with, input) : null;

    static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) ? ((YamlScalarNode)value).Value : null;
}
