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
/// </summary>
public sealed partial class WeightStore(string root)
{
    public const string EnvironmentVariable = "EDGEAI_WEIGHTS_DIR";
    public const string ReportMountPath = "/books";
    /// <summary>The store's folder on the report's volume: students' notebooks sit beside it in /books/notebooks.</summary>
    public const string ReportStoreRoot = ReportMountPath + "/models";
    const string LatestFile = "latest";
    /// <summary>Version numbers are nine digits (v000000001 .. v999999999).</summary>
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
                if (System.IO.Directory.Exists(staging)) System.IO.Directory.Delete(staging, recursive: true);
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
        Writing(() =>
        {
            System.IO.Directory.CreateDirectory(modelDir);
            var probe = Path.Combine(modelDir, $"{Leftovers.TempPrefix}{Leftovers.Tag()}.tmp");   // a leftover if killed here
            DurableFile.WriteNew(probe, "probe"u8);
            File.Delete(probe);
            return 0;
        }, "Nothing was saved, and training was not started: it could not have been saved.");
    }

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
        for (var highest = CompleteVersions(modelDir).Max(); ; )
        {
            DurableFile.Replace(Path.Combine(modelDir, LatestFile), Encoding.ASCII.GetBytes(VersionName(highest) + "\n"));
            var now = CompleteVersions(modelDir).Max();
            if (now == highest) return;
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
            if (e is EdgeAiException) throw;
            throw new EdgeAiException($"{Describe(manifest)}: {weightsPath} could not be read as safetensors ({e.Message}).", e);
        }
        return new LoadedModel(model, manifest, clock.Elapsed.TotalSeconds);
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
        if (manifest is null) throw new EdgeAiException($"{manifestPath} holds no manifest (JSON null).");
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
        if (manifest.WeightsBytes is < 1 or > MaxWeightsBytes) problems.Add($"weightsBytes {manifest.WeightsBytes} is outside 1-{MaxWeightsBytes}");
        if (!Sha256Pattern().IsMatch(manifest.WeightsSha256)) problems.Add("weightsSha256 is not 64 lowercase hex digits");
        if (problems.Count > 0)
            throw new EdgeAiException($"{manifestPath} does not describe a {MnistMlp.ArchitectureName} model: {string.Join("; ", problems)}.");
        return (manifest, directory);
    }

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
        if (!System.IO.Directory.Exists(Root)) return new StoreSurvey(versions, problems);
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
            if (!System.IO.Directory.Exists(modelDir)) continue;
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
                if (e is not EdgeAiException) continue;
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

    /// <summary>What the manifest's tensor list says that does not fit the model.</summary>
    static List<string> RecordedTensorProblems(ModelManifest manifest)
    {
        // JSON can hold null entries in a list and names twice: neither may crash a listing.
        if (manifest.Tensors.Any(t => t?.Name is null || t.Shape is null || t.Dtype is null)) return ["its tensor list has incomplete entries"];
        var problems = manifest.Tensors.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => $"tensor {Printable.Of(g.Key)} is listed twice").ToList();
        if (problems.Count > 0) return problems;
        var recorded = manifest.Tensors.ToDictionary(t => t.Name);
        foreach (var (name, shape) in MnistMlp.Tensors)
        {
            if (!recorded.TryGetValue(name, out var entry)) problems.Add($"tensor {name} is missing");
            else if (!entry.Shape.SequenceEqual(shape))
                problems.Add($"tensor {name} has shape [{string.Join(", ", entry.Shape)}], the model needs [{string.Join(", ", shape)}]");
            else if (entry.Dtype != "F32") problems.Add($"tensor {name} is {entry.Dtype}, the model needs F32");
        }
        problems.AddRange(recorded.Keys.Except(MnistMlp.Tensors.Select(t => t.Name)).Select(n => $"tensor {n} is not part of the model"));
        return problems;
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
            throw new EdgeAiException(
                $"Cannot write to the weight store {Root}: {e.Message} Check that the volume is mounted read-write and " +
                $"writable by user '{Environment.UserName}', or set {EnvironmentVariable}. {outcome}", e);
        }
    }

    static string VersionName(int version) => $"v{version:D6}";   // the folder; users read and write NAME@vN (ModelRef)
    static string VersionDirectory(string modelDir, int version) => Path.Combine(modelDir, VersionName(version));
    static string Describe(ModelManifest m) => m.Ref.ToString();
    static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
}
