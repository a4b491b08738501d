using System.Diagnostics;
using System.Text.Json.Nodes;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;

namespace EdgeAi.Core.Tests.Security;

/// <summary>A shared volume that someone else can write to (docs/security.md): what a manifest names stays
/// inside its version, one bad entry never breaks listing, and the store's protocol says what really happened.</summary>
[Trait("Needs", "libtorch")]
public sealed class HostileStoreTests : IDisposable
{
    readonly TempDirectory temp = new();
    readonly WeightStore store;

    public HostileStoreTests() => store = new WeightStore(temp.Combine("books"));
    public void Dispose() => temp.Dispose();

    ModelManifest Save(string name = "mnist-mlp")
    {
        using var model = new MnistMlp(seed: 1);
        return store.Save(name, model);
    }

    string VersionDir(string name, int version) => temp.Combine("books", name, $"v{version:D6}");

    void EditManifest(string name, int version, Action<JsonNode> edit)
    {
        var path = Path.Combine(VersionDir(name, version), "manifest.json");
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }

    [Theory]
    [InlineData("/etc/passwd", "not a file name inside")]
    [InlineData("../../../../etc/passwd", "not a file name inside")]
    [InlineData("/dev/zero", "not a file name inside")]
    [InlineData("", "not a file name inside")]
    public void A_manifest_cannot_name_a_file_outside_its_version(string weightsFile, string message)
    {
        Save();
        EditManifest("mnist-mlp", 1, m => m["weightsFileName"] = weightsFile);
        var e = Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp")));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain("SHA-256", e.Message);   // nothing of the outside file was read
    }

    [Fact]
    public void A_weights_file_that_is_a_link_a_directory_or_null_is_refused_without_reading_it()
    {
        Save();
        var weights = Path.Combine(VersionDir("mnist-mlp", 1), "weights.safetensors");
        File.Delete(weights);
        File.CreateSymbolicLink(weights, "/dev/zero");
        Assert.Contains("symbolic link", Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp"))).Message);

        File.Delete(weights);
        Directory.CreateDirectory(weights);
        Assert.Contains("is a directory", Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp"))).Message);

        Directory.Delete(weights);
        Processes.Run("mkfifo", weights);
        var clock = Stopwatch.StartNew();
        Assert.Contains("not a regular file", Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp"))).Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "a FIFO was opened");

        EditManifest("mnist-mlp", 1, m => m["weightsFileName"] = null);
        Assert.Contains("not valid JSON for a manifest", Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp"))).Message);
    }

    [Fact]
    public void A_manifest_cannot_make_the_reader_take_more_than_the_model_needs()
    {
        Save();
        EditManifest("mnist-mlp", 1, m => m["weightsBytes"] = 1L << 40);
        var e = Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp")));
        Assert.Contains("weightsBytes 1099511627776 is outside", e.Message);
    }

    [Fact]
    public void Listing_shows_every_good_version_and_names_each_bad_entry()
    {
        Save("good");
        foreach (var name in new[] { "dir-latest", "fifo-latest", "zero-latest", "null-origin", "garbage" })
            Save(name);
        var latest = (string name) => temp.Combine("books", name, "latest");
        File.Delete(latest("dir-latest"));
        Directory.CreateDirectory(latest("dir-latest"));
        File.Delete(latest("fifo-latest"));
        Processes.Run("mkfifo", latest("fifo-latest"));
        File.Delete(latest("zero-latest"));
        File.CreateSymbolicLink(latest("zero-latest"), "/dev/zero");
        EditManifest("null-origin", 1, m => m["origin"] = null);
        File.WriteAllText(Path.Combine(VersionDir("garbage", 1), "manifest.json"), "{ not json");

        var clock = Stopwatch.StartNew();
        var survey = store.Survey();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "listing hung");
        // Versions whose pointer is damaged are still listed (not as latest); the pointer is named as the problem.
        Assert.Equal(["dir-latest", "fifo-latest", "good", "zero-latest"], survey.Versions.Select(v => v.Manifest.Name).Order());
        Assert.True(survey.Versions.Single(v => v.Manifest.Name == "good").IsLatest);
        Assert.Contains(survey.Problems, p => p.Path.EndsWith("dir-latest") && p.Problem.Contains("is a directory"));
        Assert.Contains(survey.Problems, p => p.Path.EndsWith("fifo-latest") && p.Problem.Contains("not a regular file"));
        Assert.Contains(survey.Problems, p => p.Path.EndsWith("zero-latest") && p.Problem.Contains("symbolic link"));
        Assert.Contains(survey.Problems, p => p.Path.EndsWith("v000001") && p.Path.Contains("null-origin") && p.Problem.Contains("not valid JSON"));
        Assert.Contains(survey.Problems, p => p.Path.Contains("garbage") && p.Problem.Contains("not valid JSON"));
        Assert.Equal(4, store.List().Count);
    }

    [Fact]
    public void When_latest_cannot_be_moved_the_message_says_the_version_was_saved()
    {
        Save();
        var latest = temp.Combine("books", "mnist-mlp", "latest");
        File.Delete(latest);
        Directory.CreateDirectory(Path.Combine(latest, "in-the-way"));   // rename(2) cannot replace a non-empty directory
        var e = Assert.Throws<EdgeAiException>(() => Save());
        Assert.Contains("Saved mnist-mlp@v2", e.Message);
        Assert.Contains("load it as mnist-mlp@v2", e.Message);
        Assert.DoesNotContain("Nothing was saved", e.Message);
        using var loaded = store.Load(ModelRef.Parse("mnist-mlp@2"));
        Assert.Equal(2, loaded.Manifest.Version);
    }

    [Fact]
    public void A_foreign_empty_folder_at_the_last_number_does_not_jam_the_model()
    {
        Save();
        Directory.CreateDirectory(temp.Combine("books", "mnist-mlp", "v999999999"));
        Assert.Equal(2, Save().Version);
        Assert.Equal(3, Save().Version);
        Assert.Equal([3, 2, 1], store.List("mnist-mlp").Select(v => v.Manifest.Version));
        Assert.Contains(store.Survey().Problems, p => p.Path.EndsWith("v999999999"));
    }

    [Theory]
    [InlineData("mnist-mlp\n")]
    [InlineData("mnist-mlp\r\n")]
    [InlineData("mnist\nmlp")]
    public void A_name_with_a_line_break_is_refused_before_anything_is_written(string name)
    {
        using var model = new MnistMlp(seed: 1);
        Assert.Contains("is not allowed", Assert.Throws<EdgeAiException>(() => store.Save(name, model)).Message);
        Assert.False(Directory.Exists(temp.Combine("books")) && Directory.EnumerateFileSystemEntries(temp.Combine("books")).Any());
    }

    /// <summary>Someone who can write the store links a model's folder elsewhere: a save would write there (any folder
    /// the saving user can write), a load would read there. Folder links are refused as file links are.</summary>
    [Fact]
    public void A_model_folder_that_is_a_link_is_neither_written_through_nor_read_through()
    {
        var elsewhere = Directory.CreateDirectory(temp.Combine("elsewhere")).FullName;
        Directory.CreateDirectory(temp.Combine("books"));
        Directory.CreateSymbolicLink(temp.Combine("books", "escape"), elsewhere);
        var e = Assert.Throws<EdgeAiException>(() => Save("escape"));
        Assert.Contains($"{temp.Combine("books", "escape")} is a symbolic link (to {elsewhere})", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));

        // A model saved elsewhere and linked in is not loaded or listed as the store's, and the listing says why.
        new WeightStore(temp.Combine("other")).Save("escape", new MnistMlp(seed: 2));
        Directory.Delete(temp.Combine("books", "escape"));
        Directory.CreateSymbolicLink(temp.Combine("books", "escape"), temp.Combine("other", "escape"));
        Assert.Contains("symbolic link", Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("escape"))).Message);
        var survey = store.Survey();
        Assert.Empty(survey.Versions);
        Assert.Contains(survey.Problems, p => p.Path.EndsWith("escape") && p.Problem.Contains("symbolic link"));
    }

    [Fact]
    public void A_version_folder_that_is_a_link_is_not_read_through_nor_numbered_after()
    {
        Save();
        Save("other");
        Directory.CreateSymbolicLink(VersionDir("mnist-mlp", 2), VersionDir("other", 1));
        Assert.Contains("symbolic link", Assert.Throws<EdgeAiException>(() => store.Load(ModelRef.Parse("mnist-mlp@2"))).Message);
        Assert.Equal([1], store.List("mnist-mlp").Select(v => v.Manifest.Version));
        Assert.Contains(store.Survey().Problems, p => p.Path == VersionDir("mnist-mlp", 2) && p.Problem.Contains("symbolic link"));
        // The link is in the way of number 2, so the next save takes 3, and latest never names the link.
        Assert.Equal(3, Save().Version);
        using var latest = store.Load(ModelRef.Parse("mnist-mlp"));
        Assert.Equal(3, latest.Manifest.Version);
    }
}
