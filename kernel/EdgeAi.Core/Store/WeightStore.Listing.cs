using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeAi.Core.Model;
using TorchSharp;
using TorchSharp.PyBridge;

namespace EdgeAi.Core.Store;

/// <summary>Listing: every complete version, and every entry that had to be skipped, with the reason.</summary>
public sealed partial class WeightStore
{
    /// <summary>Every complete version of every model (or of one), newest first; entries that cannot be read are skipped.</summary>
    public IReadOnlyList<StoredVersion> List(string? name = null) => Survey(name).Versions;

    /// <summary>
    /// Every complete version, and every entry that had to be skipped with the reason (an unreadable manifest or
    /// folder, a damaged pointer, a manifest that is not ours). One bad entry never hides the others, and nothing
    /// unbounded is read.
    /// </summary>
    public StoreSurvey Survey(string? name = null)
    {
        var versions = new List<StoredVersion>();
        var problems = new List<BadEntry>();
        if (!System.IO.Directory.Exists(Root))
            return new StoreSurvey(versions, problems);
        IEnumerable<string> models;
        try
        {
            models = name is null ? ModelNames().ToList() : [name];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeAiException($"Cannot list the weight store {Root}: {e.Message}", e);
        }
        foreach (var model in models)
        {
            var modelDir = Path.Combine(Root, model);
            if (!System.IO.Directory.Exists(modelDir))
                continue;
            if (new DirectoryInfo(modelDir).LinkTarget is { } modelLink)
            {
                problems.Add(new BadEntry(modelDir, $"a symbolic link (to {Printable.Of(modelLink)}); the store writes none, so it is not read"));
                continue;
            }
            foreach (var link in Versions(modelDir, links: true))
                problems.Add(new BadEntry(VersionDirectory(modelDir, link), "a symbolic link; the store writes none, so it is not read"));
            int? latest = null;
            List<int> numbers;
            try
            {
                numbers = Versions(modelDir).OrderDescending().ToList();
                latest = ReadLatest(modelDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or EdgeAiException)
            {
                problems.Add(new BadEntry(modelDir, Printable.Of(e.Message)));
                if (e is not EdgeAiException)
                    continue;
                numbers = Versions(modelDir).OrderDescending().ToList();
            }
            foreach (var version in numbers)
            {
                try
                {
                    var (manifest, _) = ReadManifest(new ModelRef(model, version));
                    versions.Add(new StoredVersion(manifest, version == latest));
                }
                catch (Exception e) when (e is EdgeAiException or IOException or UnauthorizedAccessException)
                {
                    problems.Add(new BadEntry(VersionDirectory(modelDir, version), Printable.Of(e.Message)));
                }
            }
        }
        return new StoreSurvey(versions, problems);
    }

    IEnumerable<string> ModelNames() =>
        System.IO.Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order();
}
