using System.Diagnostics;
using EdgeAi.Core;
using EdgeAi.Core.Store;
using TorchSharp;

namespace EdgeAi.Serving;

/// <summary>A version the follower would not serve, and why.</summary>
public sealed record RefusedVersion(int Version, string Sha256, string Reason, DateTimeOffset At);

/// <summary>
/// The model a server answers with. It polls the store (NFS gives no change notifications), and when the model's
/// latest names another version, loads and verifies it (manifest, SHA-256, safetensors header and shapes through
/// <see cref="WeightStore.Load"/>, then finite weights and a finite answer) beside the one serving, and swaps in
/// one atomic step. A version that fails is refused, kept out, and listed with its reason; the old one goes on.
/// Following is in both directions: <c>edgeai promote NAME@vK</c> moves latest back and the servers follow.
/// A pinned reference (NAME@vK) is loaded once and never moves.
/// </summary>
public sealed class ModelFollower : IDisposable
{
    const int MaxRefusedListed = 20, MaxVersionsKept = 4;
    readonly ServeSettings settings;
    readonly ServeMetrics metrics;
    readonly Action<string> log;
    readonly Lock gate = new();
    readonly List<RefusedVersion> refused = [];
    readonly Dictionary<int, ServedModel> byVersion = [];   // explicitly addressed versions, least recently used first
    readonly LinkedList<int> recency = new();
    ServedModel? current;
    IReadOnlyList<int> versions = [];
    string? problem;
    long swaps, polls;
    int listedFor;

    public ModelFollower(ServeSettings settings, ServeMetrics metrics, Action<string> log)
    {
        (this.settings, this.metrics, this.log) = (settings, metrics, log);
        metrics.LoadedVersion.WithLabels(settings.Model.Name).Set(0);
    }

    public string Name => settings.Model.Name;
    public ServedModel? Current => Volatile.Read(ref current);
    public long Swaps => Interlocked.Read(ref swaps);
    /// <summary>What stops the store from being followed right now (a missing store, no version yet, a damaged latest).</summary>
    public string? Problem { get { lock (gate) return problem; } }
    public IReadOnlyList<RefusedVersion> Refused { get { lock (gate) return [.. refused]; } }
    public IReadOnlyList<int> Versions { get { lock (gate) return versions; } }

    /// <summary>The serving version, held for one request; null before any version has loaded.</summary>
    public ModelLease? AcquireCurrent()
    {
        while (Volatile.Read(ref current) is { } model)
            if (model.TryAcquire())
                return new ModelLease(model);
        return null;   // a retired model is only seen between the exchange and the next read: the loop reads again
    }

    /// <summary>Version <paramref name="version"/>, held for one request: the serving one, one loaded before, or one
    /// the store lists, loaded and verified now (at most <see cref="MaxVersionsKept"/> are kept). The request gives
    /// a number only; the path is made by the store from the checked name and that number.</summary>
    public ModelLease AcquireVersion(int version)
    {
        if (AcquireCurrent() is { } serving)
        {
            if (serving.Model.Version == version)
                return serving;
            serving.Dispose();
        }
        lock (gate)
        {
            if (byVersion.TryGetValue(version, out var kept) && kept.TryAcquire())
            {
                recency.Remove(version);
                recency.AddLast(version);
                return new ModelLease(kept);
            }
            if (!versions.Contains(version))
                throw OipError.NotFound($"Model '{Name}' has no version {version}" +
                                        (versions.Count == 0 ? "." : $"; versions: {string.Join(", ", versions)}."));
            var refusal = refused.FirstOrDefault(r => r.Version == version);
            if (refusal is not null)
                throw OipError.NotFound($"Version {version} of '{Name}' is not served: {refusal.Reason}");
            ServedModel loaded;
            try
            {
                loaded = LoadVerified(new ModelRef(Name, version));
            }
            catch (EdgeAiException e)
            {
                Refuse(version, "", e.Message);
                throw OipError.NotFound($"Version {version} of '{Name}' is not served: {e.Message}");
            }
            loaded.TryAcquire();
            byVersion[version] = loaded;
            recency.AddLast(version);
            while (recency.Count > MaxVersionsKept)
            {
                var oldest = recency.First!.Value;
                recency.RemoveFirst();
                byVersion.Remove(oldest, out var evicted);
                evicted?.Release();
            }
            return new ModelLease(loaded);
        }
    }

    /// <summary>Polls until <paramref name="cancel"/>; the first poll happens at once.</summary>
    public async Task FollowAsync(CancellationToken cancel)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.PollSeconds));
        do
        {
            Poll();
            if (settings.Pinned && Current is not null)
                return;   // a pinned version never moves
        }
        while (await timer.WaitForNextTickAsync(cancel).ConfigureAwait(false));
    }

    /// <summary>One look at the store: swaps to the version latest names if it is new and verifies.</summary>
    public void Poll()
    {
        ModelManifest? target;
        try
        {
            target = settings.Pinned ? settings.Store.ReadManifest(settings.Model).Manifest : settings.Store.FindLatest(Name);
            // The listing reads every version's manifest: only when latest moved, and every 30th look (pruning).
            if (target is not null && (target.Version != listedFor || polls++ % 30 == 0))
            {
                var listed = settings.Store.List(Name).Select(v => v.Manifest.Version).Order().ToList();
                lock (gate)
                    (versions, listedFor) = (listed, target.Version);
            }
        }
        catch (EdgeAiException e)
        {
            SetProblem(e.Message);
            return;
        }
        if (target is null)
        {
            SetProblem($"Model '{Name}' has no complete version in {settings.Store.Root} yet; waiting for one.");
            return;
        }
        SetProblem(null);
        var serving = Current;
        if (serving is not null && serving.Version == target.Version && serving.Manifest.WeightsSha256 == target.WeightsSha256)
            return;
        lock (gate)
            if (refused.Any(r => r.Version == target.Version && r.Sha256 == target.WeightsSha256))
                return;   // refused before: the same bytes would fail again, and each look would log it again
        ServedModel next;
        try
        {
            next = LoadVerified(target.Ref);
        }
        catch (EdgeAiException e)
        {
            Refuse(target.Version, target.WeightsSha256, e.Message);
            log($"refused {target.Ref}: {e.Message}" + (serving is null ? "" : $" Still serving {serving.Manifest.Ref}."));
            return;
        }
        var before = Interlocked.Exchange(ref current, next);
        before?.Release();
        if (before is not null)
        {
            Interlocked.Increment(ref swaps);
            metrics.Swaps.Inc();
        }
        metrics.LoadedVersion.WithLabels(Name).Set(next.Version);
        log($"serving {next.Manifest.Ref} ({next.Classifier.Platform}, SHA-256 {next.Manifest.WeightsSha256[..12]}..., verified in {next.VerifySeconds * 1000:F0} ms)" +
            (before is null ? "" : $", was v{before.Version}"));
    }

    ServedModel LoadVerified(ModelRef reference)
    {
        var clock = Stopwatch.StartNew();
        var loaded = settings.Store.Load(reference);
        IClassifier? classifier = null;
        try
        {
            foreach (var (name, parameter) in loaded.Model.named_parameters())
                using (var finite = parameter.isfinite().all())
                    if (!finite.item<bool>())
                        throw new EdgeAiException($"{loaded.Manifest.Ref}'s tensor {name} holds NaN or infinite values; it cannot classify.");
            var manifest = loaded.Manifest;
            classifier = settings.Runtime == ServingRuntime.Onnx ? new OnnxClassifier(loaded) : new TorchClassifier(loaded);
            var probe = classifier.Probabilities(new byte[Core.Model.MnistMlp.Inputs], null, 1);
            if (probe.Length != Core.Model.MnistMlp.Classes || probe.Any(p => !float.IsFinite(p)))
                throw new EdgeAiException($"{manifest.Ref} gives no finite probabilities for a blank image.");
            return new ServedModel(manifest, classifier, clock.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is not EdgeAiException)
        {
            (classifier ?? (IDisposable)loaded).Dispose();
            throw new EdgeAiException($"{loaded.Manifest.Ref} could not be prepared for {settings.Runtime}: {e.Message}", e);
        }
        catch
        {
            (classifier ?? (IDisposable)loaded).Dispose();
            throw;
        }
    }

    void Refuse(int version, string sha256, string reason)
    {
        metrics.RefusedVersions.Inc();
        lock (gate)
        {
            refused.RemoveAll(r => r.Version == version);
            refused.Add(new RefusedVersion(version, sha256, Printable.Of(reason), DateTimeOffset.UtcNow));
            if (refused.Count > MaxRefusedListed)
                refused.RemoveAt(0);
        }
    }

    void SetProblem(string? message)
    {
        lock (gate)
        {
            if (message == problem)
                return;
            problem = message;
        }
        if (message is not null)
            log(message);
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref current, null)?.Release();
        lock (gate)
        {
            foreach (var kept in byVersion.Values)
                kept.Release();
            byVersion.Clear();
        }
    }
}
