using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeAi.Core.Store;

/// <summary>The JSON beside every saved weights file: what it is, how it was made, and its checksum.</summary>
public sealed record ModelManifest
{
    public const int CurrentFormat = 1;
    public const string ManifestFile = "manifest.json";
    public const string WeightsFile = "weights.safetensors";

    // Required members: a manifest read from the store that lacks one, or has null where the type says none, is
    // rejected by the JSON reader (RespectNullableAnnotations) instead of surfacing later as a crash.
    public int FormatVersion { get; init; } = CurrentFormat;
    public required string Name { get; init; }
    public int Version { get; init; }
    public required string Architecture { get; init; }
    public required IReadOnlyList<TensorEntry> Tensors { get; init; }
    public required string WeightsFileName { get; init; }
    public required string WeightsSha256 { get; init; }
    public required long WeightsBytes { get; init; }
    public DatasetInfo? Dataset { get; init; }
    public TrainingInfo? Training { get; init; }
    public MetricsInfo? Metrics { get; init; }
    /// <summary>For a federation's global model: its round, parent and the updates it averaged.</summary>
    public Federated.FederationRecord? Federation { get; init; }
    public required OriginInfo Origin { get; init; }
    public required DateTimeOffset CreatedUtc { get; init; }

    /// <summary>NAME@vN, as users write it.</summary>
    [JsonIgnore] public ModelRef Ref => new(Name, Version);

    /// <summary>camelCase, indented, nulls left out; source-generated, so trimmed and AOT apps (a file-based
    /// <c>dotnet run</c> script disables reflection-based JSON) read and write manifests too.</summary>
    public static JsonSerializerOptions Json => ManifestJson.Default.Options;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true,
                             DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(ModelManifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;

/// <summary>How a model was made, as its trainer knows it; <see cref="WeightStore.Save"/> adds the rest (name,
/// version, tensors, checksum, origin, time) and returns the stored <see cref="ModelManifest"/>.</summary>
public sealed record Provenance(DatasetInfo? Dataset = null, TrainingInfo? Training = null, MetricsInfo? Metrics = null,
                                Federated.FederationRecord? Federation = null);

public sealed record TensorEntry(string Name, long[] Shape, string Dtype);

public sealed record DatasetInfo(string Name, int TrainImages, int TestImages);

public sealed record TrainingInfo(int Epochs, int BatchSize, double LearningRate, long? Seed, int Threads, double Seconds,
                                  IReadOnlyList<EpochMetrics> History);

public sealed record EpochMetrics(int Epoch, double Loss, double Accuracy, double Seconds);

/// <summary>Test accuracy, and per class; a class the test images do not hold (a small data folder of one's own) has
/// none: null, as JSON has no NaN.</summary>
public sealed record MetricsInfo(double TestAccuracy, IReadOnlyList<double?>? PerClassAccuracy)
{
    public static MetricsInfo From(double accuracy, IEnumerable<double> perClass) =>
        new(accuracy, perClass.Select(a => double.IsNaN(a) ? (double?)null : a).ToList());
}

/// <summary>Where a model was made: host, and in Kubernetes the pod, node and namespace (downward API).</summary>
public sealed record OriginInfo(string Host, string? Pod, string? Node, string? Namespace, string Tool)
{
    public static OriginInfo Current() => new(
        Environment.MachineName,
        Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : null,
        Environment.GetEnvironmentVariable("NODE_NAME") is { Length: > 0 } node ? node : null,
        Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } ns ? ns : null,
        $"EdgeAi.Core {typeof(OriginInfo).Assembly.GetName().Version?.ToString(3)}");
}
