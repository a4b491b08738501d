using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using TorchSharp.PyBridge;

namespace EdgeAi.Core.Federated;

/// <summary>What a node says of its update, in <c>update.json</c> beside the weights.</summary>
public sealed record UpdateManifest
{
    public required string FederationId { get; init; }
    public required int Round { get; init; }
    public required int Node { get; init; }
    /// <summary>The global version this update was trained from (round <see cref="Round"/>'s).</summary>
    public required int BaseVersion { get; init; }
    public required long Samples { get; init; }
    public required string WeightsSha256 { get; init; }
    public required long WeightsBytes { get; init; }
    public required double LocalLoss { get; init; }
    public required double LocalAccuracy { get; init; }
    public required double Seconds { get; init; }
    public required OriginInfo Origin { get; init; }
    public required DateTimeOffset CreatedUtc { get; init; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true,
                             DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(UpdateManifest))]
internal sealed partial class UpdateJson : JsonSerializerContext;

/// <summary>An update found in a round's folder: its folder (relative to the store's root) and what it claims.</summary>
public sealed record FoundUpdate(string RelativeFolder, UpdateManifest? Manifest, string? Problem);

/// <summary>
/// The nodes' updates of one federation, beside its global versions:
/// <c>ROOT/NAME/federation/ID/round-000003/node-002-TAG/{weights.safetensors,update.json}</c>. An update is made whole
/// in a hidden staging folder and published by one rename(2), as a version is: nothing half-written is ever visible, on
/// NFS too. Nothing here is overwritten; a node that publishes twice leaves two folders, and the aggregator takes the
/// first (by time) and records the other as a duplicate.
/// </summary>
public sealed class RoundFolders(WeightStore store, string name, string federationId)
{
    public const string FolderName = "federation", UpdateFile = "update.json";
    const long MaxUpdateManifestBytes = 64 << 10;

    public WeightStore Store { get; } = store;

    string FederationDirectory => Path.Combine(Store.Root, name, FolderName, federationId);

    public string RoundDirectory(int round) => Path.Combine(FederationDirectory, $"round-{round:D6}");

    public string Relative(string path) => Path.GetRelativePath(Store.Root, path);

    /// <summary>Publishes node <paramref name="manifest"/>.Node's update for its round; returns its folder (relative).</summary>
    public string Publish(MnistMlp model, UpdateManifest manifest)
    {
        try
        {
            var roundDir = RoundDirectory(manifest.Round);
            MakeRealDirectories(roundDir);
            Leftovers.Clean(roundDir);
            var weights = Serialize(model);
            manifest = manifest with { WeightsSha256 = Sha256(weights), WeightsBytes = weights.Length };
            var staging = Path.Combine(roundDir, Leftovers.StagingPrefix + Leftovers.Tag());
            Directory.CreateDirectory(staging);
            try
            {
                DurableFile.WriteNew(Path.Combine(staging, ModelManifest.WeightsFile), weights);
                DurableFile.WriteNew(Path.Combine(staging, UpdateFile), JsonSerializer.SerializeToUtf8Bytes(manifest, UpdateJson.Default.UpdateManifest));
                var target = Path.Combine(roundDir, $"node-{manifest.Node:D3}-{Guid.NewGuid():N}");
                Directory.Move(staging, target);
                return Relative(target);
            }
            finally
            {
                if (Directory.Exists(staging))
                    Directory.Delete(staging, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeAiException($"Cannot write node {manifest.Node}'s update of round {manifest.Round} to the weight store {Store.Root}: {e.Message} " +
                                      "Nothing of it is visible; the round goes on without it.", e);
        }
    }

    /// <summary>The updates published for <paramref name="round"/>, oldest first; unreadable ones carry their problem.</summary>
    public IReadOnlyList<FoundUpdate> List(int round)
    {
        var roundDir = RoundDirectory(round);
        if (!Directory.Exists(roundDir) || new DirectoryInfo(roundDir).LinkTarget is not null)
            return [];
        var found = new List<(DateTimeOffset When, FoundUpdate Update)>();
        foreach (var folder in new DirectoryInfo(roundDir).EnumerateDirectories("node-*"))
        {
            var relative = Relative(folder.FullName);
            if (folder.LinkTarget is not null)
            {
                found.Add((DateTimeOffset.MaxValue, new FoundUpdate(relative, null, "a symbolic link; the store writes none, so it was not read")));
                continue;
            }
            try
            {
                var bytes = StoreFile.Read(folder.FullName, UpdateFile, $"Update {relative}", MaxUpdateManifestBytes);
                var manifest = JsonSerializer.Deserialize(bytes, UpdateJson.Default.UpdateManifest)
                               ?? throw new EdgeAiException($"{relative}/{UpdateFile} is null");
                found.Add((manifest.CreatedUtc, new FoundUpdate(relative, manifest, null)));
            }
            catch (Exception e) when (e is EdgeAiException or IOException or UnauthorizedAccessException or JsonException)
            {
                found.Add((DateTimeOffset.MaxValue, new FoundUpdate(relative, null, Printable.Of(e.Message))));
            }
        }
        return [.. found.OrderBy(f => f.When).ThenBy(f => f.Update.RelativeFolder, StringComparer.Ordinal).Select(f => f.Update)];
    }

    /// <summary>An update's weights, after its checksum, its tensors' names and shapes, and every value (finite) are
    /// checked; a problem is an <see cref="EdgeAiException"/> that names it.</summary>
    public float[] ReadWeights(FoundUpdate update)
    {
        var manifest = update.Manifest ?? throw new EdgeAiException(update.Problem ?? "no update.json");
        var folder = Path.Combine(Store.Root, update.RelativeFolder);
        var weights = StoreFile.Read(folder, ModelManifest.WeightsFile, $"Update {update.RelativeFolder}", WeightStore.MaxWeightsBytes, manifest.WeightsBytes);
        var actual = Sha256(weights);
        if (actual != manifest.WeightsSha256)
            throw new EdgeAiException($"bad checksum: its weights have SHA-256 {actual}, its update.json records {manifest.WeightsSha256}");
        SafetensorsHeader.Check(weights, Path.Combine(update.RelativeFolder, ModelManifest.WeightsFile), $"Update {update.RelativeFolder}");
        using var model = new MnistMlp();
        using (var stream = new MemoryStream(weights, writable: false))
            model.load_safetensors(stream, strict: true);
        var flat = FlatWeights.Of(model);
        var bad = Array.FindIndex(flat, v => !float.IsFinite(v));
        if (bad >= 0)
            throw new EdgeAiException($"its weights hold {flat[bad]} at position {bad} (NaN or infinite values are never averaged)");
        return flat;
    }

    /// <summary>Writes the server optimizer's state for <paramref name="round"/> (replacing a copy a killed aggregator
    /// left: the state of an unpublished round is recomputed the same way).</summary>
    public ServerStateEntry WriteState(int round, ServerState state)
    {
        var names = state.Vectors.Keys.Order(StringComparer.Ordinal).ToList();
        var bytes = new byte[names.Sum(n => state.Vectors[n].Length) * sizeof(float)];
        var offset = 0;
        foreach (var vectorName in names)
        {
            var span = System.Runtime.InteropServices.MemoryMarshal.AsBytes(state.Vectors[vectorName].AsSpan());
            span.CopyTo(bytes.AsSpan(offset));
            offset += span.Length;
        }
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("the state file is little-endian float32");
        var path = Path.Combine(FederationDirectory, "server-state", $"round-{round:D6}.f32");
        try
        {
            MakeRealDirectories(Path.GetDirectoryName(path)!);
            DurableFile.Replace(path, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeAiException($"Cannot write the server optimizer's state of round {round} to the weight store {Store.Root}: {e.Message} " +
                                      "Nothing of the round was published; run the aggregator again to resume it.", e);
        }
        return new ServerStateEntry(Relative(path), Sha256(bytes), names);
    }

    /// <summary>The state a global version's manifest names, checked against its SHA-256.</summary>
    public ServerState ReadState(ServerStateEntry? entry)
    {
        if (entry is null || entry.Vectors.Count == 0)
            return ServerState.Empty;
        var full = Path.GetFullPath(Path.Combine(Store.Root, entry.Path));
        if (!full.StartsWith(FederationDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new EdgeAiException($"The server state {entry.Path} is outside this federation's folder; it was not read.");
        var count = FlatWeights.Count;
        var bytes = StoreFile.Read(Path.GetDirectoryName(full)!, Path.GetFileName(full), "The server optimizer's state",
                                   WeightStore.MaxWeightsBytes * 4, (long)count * sizeof(float) * entry.Vectors.Count);
        if (Sha256(bytes) != entry.Sha256)
            throw new EdgeAiException($"The server state {entry.Path} does not match the SHA-256 its global version records; it was not used.");
        var vectors = new Dictionary<string, float[]>();
        for (var i = 0; i < entry.Vectors.Count; i++)
            vectors[entry.Vectors[i]] = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(i * count * sizeof(float), count * sizeof(float))).ToArray();
        return new ServerState(vectors);
    }

    /// <summary>Makes the folders below the model's, refusing any that is a symbolic link (the store writes none).</summary>
    void MakeRealDirectories(string directory)
    {
        var modelDir = Path.Combine(Store.Root, name);
        var relative = Path.GetRelativePath(modelDir, directory).Split(Path.DirectorySeparatorChar);
        var path = modelDir;
        Directory.CreateDirectory(path);
        foreach (var part in relative.Prepend(""))
        {
            path = part.Length == 0 ? path : Path.Combine(path, part);
            Directory.CreateDirectory(path);
            if (new DirectoryInfo(path).LinkTarget is { } target)
                throw new EdgeAiException($"{path} is a symbolic link (to {Printable.Of(target)}); the store writes no links, so it was not used.");
        }
    }

    static byte[] Serialize(MnistMlp model)
    {
        using var buffer = new MemoryStream();
        model.save_safetensors(buffer, leaveOpen: true);
        return buffer.ToArray();
    }

    static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
}
