using EdgeAi.Core.Store;
using EdgeAi.Interactive.Rendering;

namespace EdgeAi.Interactive;

/// <summary>A chart as HTML; a cell that returns one shows the chart (the extension registers its formatter).</summary>
public sealed record PlotHtml(string Html)
{
    public override string ToString() => Html;
}

/// <summary>Charts for C# cells.</summary>
public static class Plots
{
    /// <summary>
    /// The report's point (54 s to train vs 7 s to load, on the Pi): training seconds from each version's
    /// manifest against the time to load that version here and now.
    /// </summary>
    public static PlotHtml TrainingVersusLoading(WeightStore? store = null, int versions = 8)
    {
        store ??= Mnist.Store;
        var rows = store.List().Where(v => v.Manifest.Training is not null).Take(versions).Reverse().ToList();
        if (rows.Count == 0) return new PlotHtml("<div>No trained versions in the store yet: run #!mnist-train first.</div>");
        var loadSeconds = rows.Select(v =>
        {
            using var loaded = store.Load(new ModelRef(v.Manifest.Name, v.Manifest.Version));
            return loaded.Seconds;
        }).ToArray();
        return new PlotHtml(Charts.SecondsBars(
            rows.Select(v => v.Manifest.Ref.ToString()).ToArray(),
            ["train (from the manifest)", "load (measured now)"],
            [rows.Select(v => v.Manifest.Training!.Seconds).ToArray(), loadSeconds],
            "Training vs loading time"));
    }
}
