using System.Text.Json.Nodes;
using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;

namespace EdgeAi.Charts;

/// <summary>
/// The notebook's charts, each in three forms a notebook output carries together: HTML that draws the chart
/// live with plotly.js and shows a static picture until then (or for good, where scripts do not run), the
/// Plotly figure as JSON (application/vnd.plotly.v1+json, which VS Code draws itself), and that picture as SVG.
/// Every method takes and returns plain .NET types (arrays, strings) because callers live in another
/// AssemblyLoadContext; a chart is returned as [html, plotly JSON, svg].
/// </summary>
public static class ChartBuilder
{
    // Plotly.NET writes figures with Newtonsoft.Json, whose reference-loop check compares every object with those it
    // is inside of through Equals, and Plotly.NET's objects (DynamicObj) implement Equals as a deep structural hash:
    // one bar chart's JSON took 100-500 ms, a heatmap more. Under Plotly.NET's own ReferenceLoopHandling.Serialize the
    // check's answer changes nothing written, so reference equality (Newtonsoft's EqualityComparer setting, made for
    // such types) gives the same JSON in about 4 ms. The setting is Plotly.NET's one static object; this copy of
    // Plotly.NET lives in the charts' own load context, so no other code's charts see the change.
    static ChartBuilder() => global::Globals.JSON_CONFIG.EqualityComparer = ReferenceEqualityComparer.Instance;

    /// <summary>plotly.js as Plotly.NET embeds it: the kernel publishes it where the Jupyter server serves static files.</summary>
    public static string PlotlyJs()
    {
        var assembly = typeof(GenericChart).Assembly;
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".min.js"));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
        return reader.ReadToEnd();
    }

    /// <summary>Loss and accuracy per epoch.</summary>
    public static string[] TrainingCurves(int[] epochs, double[] loss, double[] accuracy, string title)
    {
        var chart = Chart.Combine([
            Chart.Line<int, double, string>(x: epochs, y: loss, Name: "loss", ShowMarkers: true),
            Chart.Line<int, double, string>(x: epochs, y: accuracy, Name: "accuracy", ShowMarkers: true),
        ]);
        return Outputs(chart, new Labels(title, "epoch", "value"), ChartPictures.Lines(epochs, [("loss", loss), ("accuracy", accuracy)], new Labels(title, "epoch", "value")));
    }

    /// <summary>A federation's global test accuracy after each round.</summary>
    public static string[] RoundAccuracy(int[] rounds, double[] accuracy, string title)
    {
        var chart = Chart.Line<int, double, string>(x: rounds, y: accuracy, Name: "global test accuracy", ShowMarkers: true);
        var labels = new Labels(title, "round", "test accuracy");
        return Outputs(chart, labels, ChartPictures.Lines(rounds, [("global test accuracy", accuracy)], labels));
    }

    /// <summary>Confusion matrix as a heatmap: rows true labels, columns predicted labels.</summary>
    public static string[] ConfusionHeatmap(long[][] counts, string title)
    {
        var labels = Enumerable.Range(0, counts.Length).Select(i => i.ToString()).ToArray();
        var chart = Chart.Heatmap<long, string, string, string>(zData: counts, X: labels, Y: labels, ReverseYAxis: true);
        var axes = new Labels(title, "predicted", "true label");
        return Outputs(chart, axes, ChartPictures.Heatmap(counts, axes));
    }

    /// <summary>Class probabilities of one or more images, one bar group per image.</summary>
    public static string[] Probabilities(string[] imageNames, double[][] probabilities, string title)
    {
        var classes = Enumerable.Range(0, probabilities[0].Length).Select(i => i.ToString()).ToArray();
        var chart = Chart.Combine(imageNames.Select((name, i) =>
            Chart.Column<double, string, string>(values: probabilities[i], Keys: classes, Name: name)));
        var axes = new Labels(title, "class", "probability");
        return Outputs(chart, axes, ChartPictures.Bars(classes, imageNames.Zip(probabilities).ToArray(), axes));
    }

    /// <summary>Grouped bars of seconds per model version (the report's train vs load comparison).</summary>
    public static string[] SecondsBars(string[] categories, string[] seriesNames, double[][] seconds, string title)
    {
        var chart = Chart.Combine(seriesNames.Select((name, i) =>
            Chart.Column<double, string, string>(values: seconds[i], Keys: categories, Name: name)));
        var axes = new Labels(title, "", "seconds");
        return Outputs(chart, axes, ChartPictures.Bars(categories, seriesNames.Zip(seconds).ToArray(), axes));
    }

    static string[] Outputs(GenericChart chart, Labels labels, string svg)
    {
        var figure = JsonNode.Parse(GenericChart.toFigureJson(chart))!.AsObject();
        var layout = figure["layout"] as JsonObject ?? [];
        layout["title"] = new JsonObject { ["text"] = labels.Title };
        layout["width"] = ChartPictures.Width;
        layout["height"] = ChartPictures.Height;
        foreach (var (axis, text) in new[] { ("xaxis", labels.X), ("yaxis", labels.Y) })
        {
            var style = layout[axis] as JsonObject ?? [];
            style["title"] = new JsonObject { ["text"] = text };
            layout[axis] = style;
        }
        figure["layout"] = layout;
        var plotly = new JsonObject { ["data"] = figure["data"]!.DeepClone(), ["layout"] = layout.DeepClone() }.ToJsonString();
        return [ChartHtml.Html(plotly, svg, labels.Title), plotly, svg];
    }
}

/// <summary>A chart's title and axis titles, the same in its live and its static form.</summary>
record Labels(string Title, string X, string Y);
