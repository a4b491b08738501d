using System.Text;

namespace EdgeAi.Core.Store;

/// <summary>What a promotion did: the version <c>latest</c> names now, and the one it named before (null: none).</summary>
public sealed record Promotion(ModelManifest Latest, int? Previous);

/// <summary>Promotion: pointing <c>latest</c> at an existing version, e.g. to roll back a bad training.</summary>
public sealed partial class WeightStore
{
    /// <summary>
    /// Points <c>latest</c> of <paramref name="reference"/>'s model at its version, after loading it as
    /// <see cref="Load"/> does (complete, checksum and shapes verified): a rollback never points at a version that
    /// cannot be loaded. The pointer is replaced atomically (<see cref="DurableFile.Replace"/>).
    /// <c>latest</c> stays there until the next save, whose <see cref="MoveLatestForward"/> points it at the highest
    /// version again, the new one: a promotion holds until someone trains, not for ever.
    /// </summary>
    public Promotion Promote(ModelRef reference)
    {
        if (reference.Version is null)
            throw new EdgeAiException($"Promote needs a version: name one, e.g. {reference.Name}@3 or {reference.Name}@v3 " +
                                      $"({reference.Name}@latest is already latest).");
        ModelManifest manifest;
        using (var loaded = Load(reference))
            manifest = loaded.Manifest;
        var modelDir = ModelDirectory(reference.Name);
        int? previous = null;
        try
        {
            previous = ReadLatest(modelDir);
        }
        catch (EdgeAiException) { }   // a damaged pointer is what a promotion repairs
        return Writing(() =>
        {
            DurableFile.Replace(Path.Combine(modelDir, LatestFile), Encoding.ASCII.GetBytes(VersionName(manifest.Version) + "\n"));
            return new Promotion(manifest, previous);
        }, $"'{LatestFile}' of '{reference.Name}' is unchanged.");
    }
}
