using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeAi.Core.Files;
using EdgeAi.Core.Model;
using TorchSharp;
using TorchSharp.PyBridge;

namespace EdgeAi.Core.Store;

public sealed record StoredVersion(ModelManifest Manifest, bool IsLatest);

/// <summary>An entry of the store that could not be listed, and why (shown, then skipped).</summary>
public sealed record BadEntry(string Path, string Problem);

/// <summary>What a listing found: the complete versions, newest first, and the entries it had to skip.</summary>
public sealed record StoreSurvey(IReadOnlyList<StoredVersion> Versions, IReadOnlyList<BadEntry> Problems);

public sealed class LoadedModel(MnistMlp model, ModelManifest manifest, double seconds) : IDisposable
{
    public MnistMlp Model { get; } = model;
    public ModelManifest Manifest { get; } = manifest;
    /// <summary>Wall time to read, verify and load the weights (the report's "no training" time).</summary>
    public double Seconds { get; } = seconds;
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Versioned, immutable models on a directory that may be an NFS mount shared by many pods:
/// <c>ROOT/NAME/v000007/{weights.safetensors,manifest.json}</c> and <c>ROOT/NAME/latest</c>.
/// A version is assembled in a hidden staging directory and published by one rename(2), which fails if
/// another writer took the number first; the writer then takes the next number. No locks are used.
/// Each job has its file: layout and names (WeightStore.Layout.cs), publishing (.Publishing), reading and verifying
/// (.Reading), listing (.Listing).
/// </summary>
public sealed partial class WeightStore(string root)
{
    public const string EnvironmentVariable = "EDGEAI_WEIGHTS_DIR";
    public const string ReportMountPath = "/books";
    /// <summary>The store's folder on the report's volume: students' notebooks sit beside it in /books/notebooks.</summary>
    public const string ReportStoreRoot = ReportMountPath + "/models";
    const string LatestFile = "latest";
    /// <summary>The highest version number. Folders are named with at least six digits (v000007, v1234567); names read
    /// back take up to nine.</summary>
    public const int MaxVersion = 999_999_999;
    /// <summary>The model's weights are under 0.5 MB; files larger than this are not read.</summary>
    public const long MaxWeightsBytes = 16 << 20;
    const long MaxManifestBytes = 1 << 20, MaxLatestBytes = 64;

    [GeneratedRegex(@"^v(\d{1,9})\z")]
    private static partial Regex VersionPattern();

    [GeneratedRegex("^[0-9a-f]{64}\\z")]
    private static partial Regex Sha256Pattern();

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Older versions beyond this many are removed after a save; the latest never is.</summary>
    public int KeepVersions { get; init; } = 20;

    /// <summary><c>EDGEAI_WEIGHTS_DIR</c>, else <c>/books/models</c> when the report's volume is mounted, else
    /// <c>$XDG_DATA_HOME/edgeai/books</c> (~/.local/share/edgeai/books), which must be this user's alone
    /// (<see cref="UserFolders.RequireOwn"/>): a shared volume is chosen by name, never by default.</summary>
    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } dir ? Path.GetFullPath(dir)
        : Directory.Exists(ReportMountPath) ? ReportStoreRoot
        : UserFolders.RequireOwn(Path.Combine(UserFolders.DataHome, "edgeai", "books"), "The default weight store",
                                 $"set {EnvironmentVariable} (or pass --store)");

    public static WeightStore Open(string? root = null) => new(string.IsNullOrWhiteSpace(root) ? DefaultRoot : root);
}
