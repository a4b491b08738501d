using EdgeAi.Core.Store;

namespace EdgeAi.Core.Tests.Store;

/// <summary>"name", "name@7", "name@latest": what a user types to pick a model version.</summary>
public sealed class ModelRefTests
{
    [Theory]
    [InlineData("m@0", "Version '0'")]
    [InlineData("m@x", "Version 'x'")]
    [InlineData("m@-1", "Version '-1'")]
    public void BadVersionsAreNamed(string text, string expected)
    {
        var e = Assert.Throws<EdgeAiException>(() => ModelRef.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.Contains("'latest'", e.Message);
    }

    [Theory]
    [InlineData("mnist-mlp", "mnist-mlp", null)]
    [InlineData("mnist-mlp@latest", "mnist-mlp", null)]
    [InlineData("mnist-mlp@3", "mnist-mlp", 3)]
    public void NamesAndVersionsAreRead(string text, string name, int? version)
    {
        var reference = ModelRef.Parse(text);
        Assert.Equal(name, reference.Name);
        Assert.Equal(version, reference.Version);
    }
}
