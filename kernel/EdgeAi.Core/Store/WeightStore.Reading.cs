using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeAi.Core.Model;
using TorchSharp;
using TorchSharp.PyBridge;

namespace EdgeAi.Core.Store;

/// <summary>Reading and verifying: a version is loaded only after its manifest, checksum and shapes are checked.</summary>
public sealed partial class WeightStore
{
    /// <summary>Loads a version (latest when none is given), after checking its checksum and tensor shapes.</summary>
    public LoadedModel Load(ModelRef reference)
    {
        var clock = Stopwatch.StartNew();
        var (manifest, directory) = ReadManifest(reference);
        var weightsPath = Path.Combine(directory, manifest.WeightsFileName);
        byte[] weights;
        try
        {
            weights = StoreFile.Read(directory, manifest.WeightsFileName, Describe(manifest), MaxWeightsBytes, manifest.WeightsBytes);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new EdgeAiException($"{Describe(manifest)}: the weights file {weightsPath} is missing (was the version pruned?).", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeAiException($"{Describe(manifest)}: cannot read {weightsPath}: {e.Message}", e);
        }

        var actual = Sha256(weights);
        if (actual != manifest.WeightsSha256)
            throw new EdgeAiException(
                $"{Describe(manifest)} is corrupt or was tampered with: {weightsPath} has SHA-256 {actual}, but its manifest " +
                $"records {manifest.WeightsSha256}. It was not loaded; load another version or train again.");

        SafetensorsHeader.Check(weights, weightsPath, Describe(manifest));
        var model = new MnistMlp();
        try
        {
            using var stream = new MemoryStream(weights, writable: false);
            model.load_safetensors(stream, strict: true);
            model.eval();
        }
        catch (Exception e)
        {
            model.Dispose();
            if (e is EdgeAiException)
                throw;
            throw new EdgeAiException($"{Describe(manifest)}: {weightsPath} could not be read as safetensors ({e.Message}).", e);
        }
        return new LoadedModel(model, manifest, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The manifest <c>latest</c> names, or null while <paramref name="name"/> has no complete version (what a
    /// federation's nodes poll); a damaged store is an error. The versions are looked for first: they are never
    /// unpublished, so once one is there, reading latest finds it.</summary>
    public ModelManifest? FindLatest(string name)
    {
        var modelDir = ModelDirectory(name);
        try
        {
            if (!System.IO.Directory.Exists(modelDir) || !CompleteVersions(modelDir).Any())
                return null;
            return ReadManifest(new ModelRef(name, null)).Manifest;
        }
        catch (DirectoryNotFoundException)
        {
            return null;   // the model's folder went away while it was read (a writability probe removes the one it made)
        }
    }

    /// <summary>The highest complete version of <paramref name="name"/>, whatever <c>latest</c> says (a writer killed
    /// between publishing and moving <c>latest</c> leaves it behind), or null while there is none.</summary>
    public ModelManifest? FindNewest(string name)
    {
        var modelDir = ModelDirectory(name);
        try
        {
            var highest = System.IO.Directory.Exists(modelDir) ? CompleteVersions(modelDir).DefaultIfEmpty(0).Max() : 0;
            return highest == 0 ? null : ReadManifest(new ModelRef(name, highest)).Manifest;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The manifest of a version and its directory, with the format and architecture checked.</summary>
    public (ModelManifest Manifest, string Directory) ReadManifest(ModelRef reference)
    {
        var modelDir = ModelDirectory(reference.Name);
        if (!System.IO.Directory.Exists(Root))
            throw new EdgeAiException($"The weight store {Root} does not exist. Mount the shared volume there, " +
                                      $"set {EnvironmentVariable}, or train a model first.");
        // The pointer first: it only ever names a published version, so no listing can race with it.
        var modelExists = System.IO.Directory.Exists(modelDir);
        var version = reference.Version
                      ?? (modelExists ? ReadLatest(modelDir) ?? CompleteVersions(modelDir).DefaultIfEmpty(0).Max() : 0);
        if (version == 0)
        {
            var models = ModelNames().ToList();
            throw new EdgeAiException($"No model named '{reference.Name}' in the weight store {Root}. " +
                (models.Count == 0 ? "The store is empty: train one first." : $"Models there: {string.Join(", ", models)}."));
        }
        if (!System.IO.Directory.Exists(VersionDirectory(modelDir, version)))
        {
            var versions = modelExists ? Versions(modelDir).Order().Select(VersionName).ToList() : [];
            throw new EdgeAiException($"Model '{reference.Name}' has no version {version} in {Root}. " +
                (versions.Count == 0 ? "It has no versions at all." : $"Versions there: {string.Join(", ", versions)}."));
        }

        var directory = VersionDirectory(modelDir, version);
        RefuseLink(directory, new ModelRef(reference.Name, version).ToString());
        var manifestPath = Path.Combine(directory, ModelManifest.ManifestFile);
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(StoreFile.Read(directory, ModelManifest.ManifestFile, $"The manifest of {new ModelRef(reference.Name, version)}", MaxManifestBytes),
                                                  ManifestJson.Default.ModelManifest);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new EdgeAiException($"{new ModelRef(reference.Name, version)} has no {ModelManifest.ManifestFile} in {directory}; " +
                                      "it is not a complete version (was it copied by hand or pruned?).", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeAiException($"Cannot read {manifestPath}: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new EdgeAiException($"{manifestPath} is not valid JSON for a manifest ({Printable.Of(e.Message)}); the version cannot be trusted.", e);
        }
        if (manifest is null)
            throw new EdgeAiException($"{manifestPath} holds no manifest (JSON null).");
        if (manifest.FormatVersion != ModelManifest.CurrentFormat)
            throw new EdgeAiException(
                $"{manifestPath} has format version {manifest.FormatVersion}; this EdgeAi reads format {ModelManifest.CurrentFormat}. " +
                (manifest.FormatVersion > ModelManifest.CurrentFormat ? "It was written by a newer EdgeAi: update the extension." : ""));
        if (manifest.Architecture != MnistMlp.ArchitectureName)
            throw new EdgeAiException($"{Describe(manifest)} is a '{manifest.Architecture}' model; this EdgeAi builds " +
                                      $"'{MnistMlp.ArchitectureName}' and cannot load it.");
        if (manifest.Name != reference.Name || manifest.Version != version)
            throw new EdgeAiException($"{manifestPath} describes {Printable.Of(manifest.Ref.ToString())}, not {new ModelRef(reference.Name, version)}; " +
                                      "the store was edited by hand.");
        var problems = RecordedTensorProblems(manifest);
        if (manifest.WeightsBytes is < 1 or > MaxWeightsBytes)
            problems.Add($"weightsBytes {manifest.WeightsBytes} is outside 1-{MaxWeightsBytes}");
        if (!Sha256Pattern().IsMatch(manifest.WeightsSha256))
            problems.Add("weightsSha256 is not 64 lowercase hex digits");
        if (problems.Count > 0)
            throw new EdgeAiException($"{manifestPath} does not describe a {MnistMlp.ArchitectureName} model: {string.Join("; ", problems)}.");
        return (manifest, directory);
    }

    /// <summary>What the manifest's tensor list says that does not fit the model.</summary>
    static List<string> RecordedTensorProblems(ModelManifest manifest)
    {
        // JSON can hold null entries in a list and names twice: neither may crash a listing.
        if (manifest.Tensors.Any(t => t?.Name is null || t.Shape is null || t.Dtype is null))
            return ["its tensor list has incomplete entries"];
        var problems = manifest.Tensors.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => $"tensor {Printable.Of(g.Key)} is listed twice").ToList();
        if (problems.Count > 0)
            return problems;
        var recorded = manifest.Tensors.ToDictionary(t => t.Name);
        foreach (var (name, shape) in MnistMlp.Tensors)
        {
            if (!recorded.TryGetValue(name, out var entry))
                problems.Add($"tensor {name} is missing");
            else if (!entry.Shape.SequenceEqual(shape))
                problems.Add($"tensor {name} has shape [{string.Join(", ", entry.Shape)}], the model needs [{string.Join(", ", shape)}]");
            else if (entry.Dtype != "F32")
                problems.Add($"tensor {name} is {entry.Dtype}, the model needs F32");
        }
        problems.AddRange(recorded.Keys.Except(MnistMlp.Tensors.Select(t => t.Name)).Select(n => $"tensor {n} is not part of the model"));
        return problems;
    }
}
