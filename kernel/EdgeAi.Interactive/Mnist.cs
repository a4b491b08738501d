using EdgeAi.Core;
using EdgeAi.Core.Data;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;

namespace EdgeAi.Interactive;

/// <summary>
/// What the magics trained or loaded, for C# cells that go further:
/// <code>
/// #!mnist-load
/// var model = EdgeAi.Interactive.Mnist.Model;        // an EdgeAi.Core.Model.MnistMlp (a TorchSharp module)
/// var probabilities = (await EdgeAi.Interactive.Mnist.LabAsync()).Predict(model, 0, 5);
/// </code>
/// </summary>
public static class Mnist
{
    static Task<Lab>? lab;
    static WeightStore? store;
    static string? storeDirectory, dataDirectory;

    /// <summary>The trained or loaded model, or null before the first #!mnist-train / #!mnist-load.</summary>
    public static MnistMlp? Model { get; private set; }

    /// <summary>The manifest of <see cref="Model"/>: version, who trained it where, metrics.</summary>
    public static ModelManifest? Manifest { get; private set; }

    /// <summary>The last #!mnist-eval result.</summary>
    public static EvaluationResult? LastEvaluation { get; internal set; }

    /// <summary>The core's facade over the shared store and the data, the same one the magics use; read or
    /// downloaded once per kernel: <c>var lab = await EdgeAi.Interactive.Mnist.LabAsync();</c></summary>
    public static Task<Lab> LabAsync() => lab ??= Lab.OpenAsync(dataDirectory, Store);

    /// <summary>The weight store in use (EDGEAI_WEIGHTS_DIR, /books/models when /books is mounted, or a per-user folder).</summary>
    public static WeightStore Store => store ??= WeightStore.Open(storeDirectory);

    /// <summary>Switches store and/or data directory for this kernel (null keeps the default).</summary>
    public static void Configure(string? store = null, string? data = null)
    {
        storeDirectory = store;
        dataDirectory = data;
        Mnist.store = null;
        lab = null;
    }

    /// <summary>Forgets (and frees) the current model, as a restarted kernel would have none.</summary>
    public static void Unload()
    {
        Model?.Dispose();
        Model = null;
        Manifest = null;
        LastEvaluation = null;
    }

    /// <summary>The lab for one magic: the session's, or one reading another data directory.</summary>
    internal static async Task<Lab> ForDataAsync(string? data, CancellationToken cancel)
    {
        if (string.IsNullOrWhiteSpace(data) || data == dataDirectory)
        {
            var session = LabAsync();
            try
            { return await session.WaitAsync(cancel); }
            catch when (session.IsFaulted) { lab = null; throw; }   // a later magic tries again (the data may be there by then)
        }
        return await Lab.OpenAsync(data, Store, cancel: cancel);
    }

    /// <summary>The store's versions for completions, which must never fail: none when the store cannot be read.</summary>
    internal static IReadOnlyList<StoredVersion> VersionsForCompletion()
    {
        try
        { return Store.List(); }
        catch (Exception e) when (e is EdgeAiException or IOException or UnauthorizedAccessException) { return []; }
    }

    /// <summary>The store's folder, or why there is none (the default refused as unsafe, no home): for the load message,
    /// so the extension still loads and each magic that needs the store says why it cannot use it.</summary>
    internal static string StoreDescription
    {
        get
        {
            try
            { return Store.Root; }
            catch (EdgeAiException e) { return $"unavailable ({e.Message})"; }
        }
    }

    internal static string DataDescription =>
        dataDirectory ?? Environment.GetEnvironmentVariable(DatasetLocator.EnvironmentVariable) ?? "found on first use (EDGEAI_DATA_DIR, the image's copy, or a download)";

    internal static void Use(MnistMlp model, ModelManifest manifest)
    {
        if (!ReferenceEquals(Model, model))
            Model?.Dispose();
        Model = model;
        Manifest = manifest;
    }
}
