using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeAi.Core.Model;
using TorchSharp;
using TorchSharp.PyBridge;

namespace EdgeAi.Core.Store;

/// <summary>Publishing: a new version, made whole in a hidden folder, then one rename(2); then <c>latest</c> and pruning.</summary>
public sealed partial class WeightStore
{
    /// <summary>Saves <paramref name="model"/> as a new version of <paramref name="name"/> and moves latest to it.</summary>
    public ModelManifest Save(string name, MnistMlp model, Provenance? provenance = null)
    {
        var modelDir = ModelDirectory(name);
        return Writing(() =>
        {
            System.IO.Directory.CreateDirectory(modelDir);
            Leftovers.Clean(modelDir);

            var weights = SerializeWeights(model);
            var staging = Path.Combine(modelDir, Leftovers.StagingPrefix + Leftovers.Tag());
            System.IO.Directory.CreateDirectory(staging);
            try
            {
                DurableFile.WriteNew(Path.Combine(staging, ModelManifest.WeightsFile), weights);
                var manifest = new ModelManifest
                {
                    Name = name,
                    Architecture = MnistMlp.ArchitectureName,
                    Tensors = MnistMlp.Tensors.Select(t => new TensorEntry(t.Name, t.Shape, "F32")).ToList(),
                    WeightsFileName = ModelManifest.WeightsFile,
                    WeightsSha256 = Sha256(weights),
                    WeightsBytes = weights.Length,
                    Dataset = provenance?.Dataset,
                    Training = provenance?.Training,
                    Metrics = provenance?.Metrics,
                    Federation = provenance?.Federation,
                    Origin = OriginInfo.Current(),
                    CreatedUtc = DateTimeOffset.UtcNow,
                };
                manifest = Publish(modelDir, staging, manifest);
                try
                {
                    MoveLatestForward(modelDir);
                    Prune(modelDir);
                }
                catch (Exception e) when (e is UnauthorizedAccessException or IOException)
                {
                    throw new EdgeAiException(
                        $"Saved {manifest.Ref} to {Root}, but could not then update '{LatestFile}' or prune old versions: {e.Message} " +
                        $"The new version is complete: load it as {manifest.Ref}. '{LatestFile}' may still name an older one.", e);
                }
                return manifest;
            }
            finally
            {
                if (System.IO.Directory.Exists(staging))
                    System.IO.Directory.Delete(staging, recursive: true);
            }
        });
    }

    /// <summary>
    /// Checks that a new version of <paramref name="name"/> could be saved now, before a long training: the model's
    /// folder can be created and a file written in it (and removed). A read-only volume, or a store that belongs to
    /// another user, then fails in a second with the reason instead of after the last epoch.
    /// </summary>
    public void RequireWritable(string name)
    {
        var modelDir = ModelDirectory(name);
        var made = !System.IO.Directory.Exists(modelDir);
        Writing(() =>
        {
            System.IO.Directory.CreateDirectory(modelDir);
            // As large as a version (weights and manifest, with room to spare), and flushed: a volume or quota too
            // full for one fails here, not after the last epoch.
            var probe = Path.Combine(modelDir, $"{Leftovers.TempPrefix}{Leftovers.Tag()}.tmp");   // a leftover if killed here
            try
            {
                DurableFile.WriteNew(probe, new byte[ProbeBytes]);
            }
            finally
            {
                File.Delete(probe);
                if (made)
                    try
                    { System.IO.Directory.Delete(modelDir); }
                    catch (IOException) { }   // saved into later, or not at all
            }
            return 0;
        }, "Nothing was saved, and training was not started: it could not have been saved.");
    }

    /// <summary>Moves <c>latest</c> to the highest complete version of <paramref name="name"/>, where a writer killed
    /// between publishing and moving it left it behind.</summary>
    public void CatchUpLatest(string name)
    {
        var modelDir = ModelDirectory(name);
        Writing(() =>
        {
            MoveLatestForward(modelDir);
            return 0;
        });
    }

    /// <summary>What a version takes on disk (the weights are 475 KB, the manifest a few KB), rounded up.</summary>
    const int ProbeBytes = 512 << 10;

    /// <summary>Claims the next free version number by renaming the staging directory onto it.</summary>
    static ModelManifest Publish(string modelDir, string staging, ModelManifest manifest)
    {
        var manifestPath = Path.Combine(staging, ModelManifest.ManifestFile);
        var taken = 0;   // the highest number found in the way (a link that is not ours counts; it is never read)
        for (var attempt = 0; ; attempt++)
        {
            // Numbered after the highest complete version: empty or foreign folders (v999999999 made by hand) do not count.
            var version = Math.Max(CompleteVersions(modelDir).DefaultIfEmpty(0).Max(), taken) + 1;
            if (version > MaxVersion)
                throw new EdgeAiException($"Model '{manifest.Name}' has reached version {MaxVersion}, the last the store numbers; save under another name.");
            manifest = manifest with { Version = version };
            File.Delete(manifestPath);
            DurableFile.WriteNew(manifestPath, JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJson.Default.ModelManifest));
            var target = VersionDirectory(modelDir, version);
            try
            {
                System.IO.Directory.Move(staging, target);
                return manifest;
            }
            catch (IOException) when (System.IO.Directory.Exists(target) && attempt < 1000)
            {
                // Another writer published this number first (or a link holds it); take the next free one.
                taken = version;
                if (new DirectoryInfo(target).LinkTarget is null && !File.Exists(Path.Combine(target, ModelManifest.ManifestFile)))
                    throw new EdgeAiException($"{target} is in the way of the next version and is not one (no {ModelManifest.ManifestFile}); " +
                                              "move it out of the store, then save again.");
            }
        }
    }

    /// <summary>
    /// Points latest at the highest published version. Every writer does this after publishing and repeats
    /// it until a fresh listing shows nothing newer, so the last pointer written is always the highest
    /// version, whatever the interleaving of writers.
    /// </summary>
    static void MoveLatestForward(string modelDir)
    {
        for (var highest = CompleteVersions(modelDir).Max(); ;)
        {
            DurableFile.Replace(Path.Combine(modelDir, LatestFile), Encoding.ASCII.GetBytes(VersionName(highest) + "\n"));
            var now = CompleteVersions(modelDir).Max();
            if (now == highest)
                return;
            highest = now;
        }
    }

    void Prune(string modelDir)
    {
        var latest = ReadLatest(modelDir);
        foreach (var version in CompleteVersions(modelDir).OrderDescending().Skip(KeepVersions).Where(v => v != latest))
        {
            var trash = Path.Combine(modelDir, Leftovers.TrashPrefix + Leftovers.Tag());
            try
            {
                System.IO.Directory.Move(VersionDirectory(modelDir, version), trash);
                System.IO.Directory.Delete(trash, recursive: true);
            }
            catch (IOException) { }   // pruned by another writer already
        }
    }

    /// <summary>
    /// Saves weights made elsewhere (e.g. PyTorch's <c>safetensors.torch.save_file(model.state_dict())</c> of
    /// nn.Sequential(Flatten, Linear(784,128), ReLU, Linear(128,128), ReLU, Linear(128,10))) as a new version.
    /// Only safetensors is read: it holds tensors and a JSON header, nothing that executes.
    /// </summary>
    public ModelManifest Import(string name, string safetensorsFile, Provenance? provenance = null)
    {
        ModelRef.ValidateName(name);
        var full = Path.GetFullPath(safetensorsFile);
        byte[] weights;
        try
        {
            weights = StoreFile.Read(Path.GetDirectoryName(full)!, Path.GetFileName(full), $"The weights to import as '{name}'", MaxWeightsBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeAiException($"Cannot read {safetensorsFile}: {e.Message}", e);
        }
        SafetensorsHeader.Check(weights, safetensorsFile, $"The weights to import as '{name}'");
        using var model = new MnistMlp();
        using (var stream = new MemoryStream(weights, writable: false))
            model.load_safetensors(stream, strict: true);
        return Save(name, model, provenance);
    }

    static byte[] SerializeWeights(MnistMlp model)
    {
        using var buffer = new MemoryStream();
        model.save_safetensors(buffer, leaveOpen: true);
        return buffer.ToArray();
    }

    T Writing<T>(Func<T> write, string outcome = "Nothing was saved; earlier versions are unchanged.")
    {
        try
        {
            return write();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            var free = FreeBytes();
            var advice = free is < ProbeBytes
                ? $"The volume has {free / 1024} KiB free; a version takes about {ProbeBytes / 1024} KiB: make room, or set {EnvironmentVariable}."
                : $"Check that the volume is mounted read-write and writable by user '{Environment.UserName}', or set {EnvironmentVariable}.";
            throw new EdgeAiException($"Cannot write to the weight store {Root}: {e.Message} {advice} {outcome}", e);
        }
    }

    /// <summary>Free bytes for this user on the store's volume, or null where that cannot be told (no folder yet).</summary>
    long? FreeBytes()
    {
        try
        {
            for (var folder = Root; folder is not null; folder = Path.GetDirectoryName(folder))
                if (System.IO.Directory.Exists(folder))
                    return new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { }
        return null;
    }
}
