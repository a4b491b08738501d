using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Events;

namespace EdgeAi.Interactive.Tests.Support;

/// <summary>What every chart output must carry: the live HTML with its static picture, the Plotly figure, the SVG.</summary>
public static class ChartAssert
{
    /// <summary>Checks the three forms of one displayed chart, each naming <paramref name="series"/>; returns the figure.</summary>
    public static JsonObject AllForms(DisplayEvent chart, string[] series, string? plotlyType = null)
    {
        var forms = chart.FormattedValues.ToDictionary(v => v.MimeType, v => v.Value);
        Assert.Equal(["application/vnd.plotly.v1+json", "image/svg+xml", "text/html"], forms.Keys.Order(StringComparer.Ordinal));

        // The figure: data and layout with the titles, as VS Code draws it.
        var figure = JsonNode.Parse(forms["application/vnd.plotly.v1+json"])!.AsObject();
        var traces = figure["data"]!.AsArray();
        if (plotlyType is not null)
            Assert.All(traces, t => Assert.Equal(plotlyType, (string)t!["type"]!));
        foreach (var name in series)
            Assert.Contains(traces, t => (string?)t!["name"] == name);
        Assert.False(string.IsNullOrEmpty((string?)figure["layout"]!["title"]!["text"]));

        // The picture: an SVG document naming every series (a legend) or, for a heatmap, its counts.
        var svg = forms["image/svg+xml"];
        Assert.StartsWith("<?xml", svg);
        Assert.Contains("<svg", svg);
        foreach (var name in series)
            Assert.Contains($">{name}<", svg);

        // The HTML: the same picture as a data URI, replaced by the live chart where plotly.js can be fetched from
        // the server; no plotly.js bundle inside.
        var html = forms["text/html"];
        Assert.Contains("class=\"edgeai-chart\"", html);
        var picture = Regex.Match(html, "<img class=\"edgeai-chart-picture\" src=\"data:image/svg\\+xml;base64,([^\"]+)\"");
        Assert.True(picture.Success, "no static picture in the chart's HTML");
        Assert.Equal(svg, Encoding.UTF8.GetString(Convert.FromBase64String(picture.Groups[1].Value)));
        Assert.Contains("static/edgeai/plotly.min.js", html);
        Assert.Contains("Plotly.newPlot", html);
        Assert.True(html.Length < 200_000, $"a chart's HTML is {html.Length:N0} characters");
        return figure;
    }
}
