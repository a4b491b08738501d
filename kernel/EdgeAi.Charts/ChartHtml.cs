using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;

namespace EdgeAi.Charts;

/// <summary>
/// The notebook's charts. Every method takes and returns plain .NET types (arrays, strings) because callers
/// live in another AssemblyLoadContext. The HTML expects plotly.js to be loaded once per page by
/// <see cref="PlotlyLoaderHtml"/> (a pod has no internet for a CDN), and says so if it is not.
/// </summary>
public static class ChartHtml
{
    /// <summary>A script that defines window.Plotly from the plotly.js that Plotly.NET embeds, once per page.
    /// AMD's define is hidden meanwhile: classic Jupyter Notebook has RequireJS, which would capture the bundle.</summary>
    public static string PlotlyLoaderHtml()
    {
        var assembly = typeof(GenericChart).Assembly;
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".min.js"));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
        var script = reader.ReadToEnd().Replace("</script", "<\\/script");
        return "<script type=\"text/javascript\">if (!window.Plotly) { var edgeaiDefine = window.define; window.define = undefined; try {\n" +
               script + "\n} finally { window.define = edgeaiDefine; } }</script>";
    }

    /// <summary>Loss and accuracy per epoch.</summary>
    public static string TrainingCurves(int[] epochs, double[] loss, double[] accuracy, string title)
    {
        var chart = Chart.Combine([
            Chart.Line<int, double, string>(x: epochs, y: loss, Name: "loss", ShowMarkers: true),
            Chart.Line<int, double, string>(x: epochs, y: accuracy, Name: "accuracy", ShowMarkers: true),
        ]);
        return Html(chart, title, "epoch", "value");
    }

    /// <summary>Confusion matrix as a heatmap: rows true labels, columns predicted labels.</summary>
    public static string ConfusionHeatmap(long[][] counts, string title)
    {
        var labels = Enumerable.Range(0, counts.Length).Select(i => i.ToString()).ToArray();
        var chart = Chart.Heatmap<long, string, string, string>(zData: counts, X: labels, Y: labels, ReverseYAxis: true);
        return Html(chart, title, "predicted", "true label");
    }

    /// <summary>Class probabilities of one or more images, one bar group per image.</summary>
    public static string Probabilities(string[] imageNames, double[][] probabilities, string title)
    {
        var classes = Enumerable.Range(0, probabilities[0].Length).Select(i => i.ToString()).ToArray();
        var chart = Chart.Combine(imageNames.Select((name, i) =>
            Chart.Column<double, string, string>(values: probabilities[i], Keys: classes, Name: name)));
        return Html(chart, title, "class", "probability");
    }

    /// <summary>Grouped bars of seconds per model version (the report's train vs load comparison).</summary>
    public static string SecondsBars(string[] categories, string[] seriesNames, double[][] seconds, string title)
    {
        var chart = Chart.Combine(seriesNames.Select((name, i) =>
            Chart.Column<double, string, string>(values: seconds[i], Keys: categories, Name: name)));
        return Html(chart, title, "", "seconds");
    }

    static string Html(GenericChart chart, string title, string xTitle, string yTitle)
    {
        var figure = GenericChart.toFigureJson(chart);
        var labels = System.Text.Json.JsonSerializer.Serialize(new { title, xTitle, yTitle });
        var id = "edgeai-plot-" + Guid.NewGuid().ToString("N");
        return $"<div class=\"edgeai-plotly\" id=\"{id}\"></div><script type=\"text/javascript\">(function () {{\n" +
               $"  var figure = {figure}, labels = {labels};\n" +
               $"  var target = document.getElementById('{id}');\n" +
               "  var layout = Object.assign({}, figure.layout, { title: { text: labels.title }, width: 640, height: 420,\n" +
               "    xaxis: Object.assign({}, figure.layout.xaxis, { title: { text: labels.xTitle } }),\n" +
               "    yaxis: Object.assign({}, figure.layout.yaxis, { title: { text: labels.yTitle } }) });\n" +
               "  if (window.Plotly) { window.Plotly.newPlot(target, figure.data, layout, { responsive: true }); }\n" +
               "  else { target.textContent = 'Chart not drawn: run the first cell (#r \"nuget: EdgeAi.Interactive\") to load plotly.js into this page.'; }\n" +
               "})();</script>";
    }
}
