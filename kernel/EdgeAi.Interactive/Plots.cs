using EdgeAi.Core.Store;
using EdgeAi.Interactive.Rendering;

namespace EdgeAi.Interactive;

/// <summary>
/// A chart as a notebook shows it: <see cref="Html"/> (a static picture that plotly.js replaces with the live chart
/// where the page can run scripts), <see cref="PlotlyJson"/> (application/vnd.plotly.v1+json, drawn by VS Code
/// itself) and <see cref="Svg"/> (the picture alone, for nbconvert's other formats). A cell that returns one shows
/// all three; each front end picks the form it can show.
/// </summary>
public sealed record ChartOutput(string Html, string PlotlyJson, string Svg)
{
    public const string PlotlyMimeType = "application/vnd.plotly.v1+json";
    public static readonly string[] MimeTypes = ["text/html", PlotlyMimeType, "image/svg+xml"];

    public override string ToString() => Html;
}

/// <summary>Charts for C# cells.</summary>
public static class Plots
{
    /// <summary>
    /// The report's point (54 s to train vs 7 s to load, on the Pi): training seconds from each version's
    /// manifest against the time to load that version here and now: a <see cref="ChartOutput"/>, or a note (HTML)
    /// while the store holds no trained version.
    /// </summary>
    public static object TrainingVersusLoading(WeightStore? store = null, int versions = 8)
    {
        store ??= Mnist.Store;
        var rows = store.List().Where(v => v.Manifest.Training is not null).Take(versions).Reverse().ToList();
        if (rows.Count == 0)
            return HtmlViews.NoTrainedVersions();
        var loadSeconds = rows.Select(v =>
        {
            using var loaded = store.Load(new ModelRef(v.Manifest.Name, v.Manifest.Version));
            return loaded.Seconds;
        }).ToArray();
        return IsolatedCharts.SecondsBars(
            rows.Select(v => v.Manifest.Ref.ToString()).ToArray(),
            ["train (from the manifest)", "load (measured now)"],
            [rows.Select(v => v.Manifest.Training!.Seconds).ToArray(), loadSeconds],
            "Training vs loading time");
    }
}
