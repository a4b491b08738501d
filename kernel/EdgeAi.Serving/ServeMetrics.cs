using Prometheus;

namespace EdgeAi.Serving;

/// <summary>What /metrics exports (Prometheus text format), in a registry of the server's own.</summary>
public sealed class ServeMetrics
{
    // prometheus-net otherwise starts adapters for every .NET meter and event counter on its default registry, which
    // this server does not export: ASP.NET Core's own per-request instruments then cost CPU on every request.
    static ServeMetrics() => Metrics.SuppressDefaultMetrics();

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();
    public Counter Requests { get; }
    public Histogram Latency { get; }
    public Counter Images { get; }
    public Histogram BatchImages { get; }
    public Gauge LoadedVersion { get; }
    public Counter Swaps { get; }
    public Counter RefusedVersions { get; }

    public ServeMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("edgeai_serve_requests_total", "HTTP requests answered, by endpoint and status code.",
                                         new CounterConfiguration { LabelNames = ["endpoint", "code"] });
        // 50 us to about 3 s: one image is answered in well under a millisecond, a full batch in tens.
        Latency = factory.CreateHistogram("edgeai_serve_request_duration_seconds", "Time from a request's arrival to its answer, by endpoint.",
                                          new HistogramConfiguration { LabelNames = ["endpoint"], Buckets = Histogram.ExponentialBuckets(0.00005, 2, 17) });
        Images = factory.CreateCounter("edgeai_serve_images_total", "Images classified.");
        BatchImages = factory.CreateHistogram("edgeai_serve_batch_images", "Images in each forward pass: requests that wait at the same moment are computed together.",
                                              new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 13) });
        LoadedVersion = factory.CreateGauge("edgeai_serve_loaded_version", "The version that answers requests without a version (0 before one is loaded).",
                                            new GaugeConfiguration { LabelNames = ["model"] });
        Swaps = factory.CreateCounter("edgeai_serve_swaps_total", "Times a verified version replaced the one serving.");
        RefusedVersions = factory.CreateCounter("edgeai_serve_refused_versions_total", "Versions that failed verification and were not served.");
    }
}
