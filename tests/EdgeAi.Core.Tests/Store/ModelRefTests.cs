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

    [Theory]
    [InlineData(null, "mnist-mlp")]
    [InlineData("", "mnist-mlp")]
    [InlineData("alice", "mnist-mlp-alice")]
    [InlineData("Alice.Smith@uni.example", "mnist-mlp-alice-smith-uni-example")]
    [InlineData("../../etc", "mnist-mlp-etc")]
    [InlineData("étudiant_7", "mnist-mlp-tudiant-7")]
    [InlineData("@@@", "mnist-mlp")]
    public void EachUserHasADefaultNameTheStoreAccepts(string? user, string expected)
    {
        Assert.Equal(expected, ModelRef.ForUser(user));
        ModelRef.ValidateName(expected);   // a user never gets a default name that the store then refuses
    }

    [Fact]
    public void ALongUserNameIsCutToTheStoresLimit()
    {
        var name = ModelRef.ForUser(new string('a', 100) + "-b");
        Assert.Equal(64, name.Length);
        ModelRef.ValidateName(name);
    }
}
