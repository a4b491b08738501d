using EdgeAi.Core.Store;

namespace EdgeAi.Serving;

/// <summary>
/// A verified version and its classifier, shared by the requests that use it. The follower holds one reference;
/// each request takes another for as long as it computes. When a newer version replaces it, the follower lets
/// go of its own, and the last request to finish frees the classifier: a request in flight always ends on the
/// version it started with, and nothing is freed under it.
/// </summary>
public sealed class ServedModel(ModelManifest manifest, IClassifier classifier, double verifySeconds)
{
    int references = 1;

    public ModelManifest Manifest { get; } = manifest;
    public IClassifier Classifier { get; } = classifier;
    public double VerifySeconds { get; } = verifySeconds;
    public int Version => Manifest.Version;

    /// <summary>A reference for one request, or false once the model is retired and freed (take the current one then).</summary>
    public bool TryAcquire()
    {
        var seen = Volatile.Read(ref references);
        while (seen > 0)
        {
            var before = Interlocked.CompareExchange(ref references, seen + 1, seen);
            if (before == seen)
                return true;
            seen = before;
        }
        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref references) == 0)
            Classifier.Dispose();
    }
}

/// <summary>A request's hold on a <see cref="ServedModel"/>; disposing it releases the reference.</summary>
public readonly struct ModelLease(ServedModel model) : IDisposable
{
    public ServedModel Model { get; } = model;
    public void Dispose() => Model.Release();
}
