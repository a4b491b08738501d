using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeAi.Core.Model;
using TorchSharp;
using TorchSharp.PyBridge;

namespace EdgeAi.Core.Store;

/// <summary>Layout and names: <c>ROOT/NAME/v000007/</c>, <c>ROOT/NAME/latest</c>, and what is refused on the way (links).</summary>
public sealed partial class WeightStore
{
    /// <summary>
    /// The folder of model <paramref name="name"/>, refused when it is a symbolic link: the store writes none, and
    /// following one would send saves, and <c>latest</c>, to wherever whoever made it chose (any folder the saving
    /// user can write). The store's own folder may be a link; that is its owner's choice.
    /// </summary>
    string ModelDirectory(string name)
    {
        ModelRef.ValidateName(name);
        var modelDir = Path.Combine(Root, name);
        RefuseLink(modelDir, $"Model '{name}'");
        return modelDir;
    }

    static void RefuseLink(string directory, string what)
    {
        if (new DirectoryInfo(directory).LinkTarget is { } target)
            throw new EdgeAiException($"{what}: {directory} is a symbolic link (to {Printable.Of(target)}); the store writes no links, so it was not used. " +
                                      "Remove the link (or move it out of the store).");
    }

    /// <summary>Version numbers of the folders named like versions; <paramref name="links"/> takes those that are
    /// symbolic links instead (never read through: see <see cref="ModelDirectory"/>).</summary>
    static IEnumerable<int> Versions(string modelDir, bool links = false) =>
        new DirectoryInfo(modelDir).EnumerateDirectories()
            .Where(d => d.LinkTarget is not null == links)
            .Select(d => VersionPattern().Match(d.Name))
            .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value));

    /// <summary>Published versions: folders with a manifest (rename(2) publishes folder and manifest together).</summary>
    static IEnumerable<int> CompleteVersions(string modelDir) =>
        Versions(modelDir).Where(v => File.Exists(Path.Combine(VersionDirectory(modelDir, v), ModelManifest.ManifestFile)));

    /// <summary>The version latest names, or null when there is no pointer yet; a damaged one is an error.</summary>
    static int? ReadLatest(string modelDir)
    {
        try
        {
            var text = Encoding.ASCII.GetString(StoreFile.Read(modelDir, LatestFile, $"The '{LatestFile}' pointer of {modelDir}", MaxLatestBytes)).Trim();
            var match = VersionPattern().Match(text);
            return match.Success ? int.Parse(match.Groups[1].Value)
                : throw new EdgeAiException($"{Path.Combine(modelDir, LatestFile)} holds '{Printable.Of(text)}', not a version like v000003; load a version by number (NAME@3).");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    static string VersionName(int version) => $"v{version:D6}";   // the folder; users read and write NAME@vN (ModelRef)
    static string VersionDirectory(string modelDir, int version) => Path.Combine(modelDir, VersionName(version));
    static string Describe(ModelManifest m) => m.Ref.ToString();
    static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
}
