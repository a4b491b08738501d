using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace EdgeAi.Charts;

/// <summary>
/// Each chart again as a static SVG, drawn with OxyPlot (managed code only: nothing native in the pod), for readers
/// whose page runs no script: an untrusted notebook, nbconvert's HTML, a mailed or committed notebook. OxyPlot
/// measures text with Helvetica's metrics, so the SVG asks for Arial or Helvetica first.
/// </summary>
static class ChartPictures
{
    public const int Width = 640, Height = 420;
    const string Font = "Arial, Helvetica, sans-serif";

    public static string Lines(int[] x, (string Name, double[] Y)[] series, Labels labels)
    {
        var model = Model(labels);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = labels.X, MajorStep = 1, MinorStep = 1 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = labels.Y, AxisTitleDistance = 10 });
        foreach (var (name, y) in series)
        {
            var line = new LineSeries { Title = name, MarkerType = MarkerType.Circle };
            line.Points.AddRange(x.Zip(y, (a, b) => new DataPoint(a, b)));
            model.Series.Add(line);
        }
        return Svg(model);
    }

    public static string Bars(string[] categories, (string Name, double[] Values)[] series, Labels labels)
    {
        var model = Model(labels);
        // OxyPlot's bars run along their category axis: placed at the bottom, they stand upright.
        model.Axes.Add(new CategoryAxis { Key = "categories", Position = AxisPosition.Bottom, Title = labels.X, ItemsSource = categories });
        model.Axes.Add(new LinearAxis { Key = "values", Position = AxisPosition.Left, Title = labels.Y, Minimum = 0, AxisTitleDistance = 10 });
        foreach (var (name, values) in series)
        {
            var bars = new BarSeries { Title = name, XAxisKey = "values", YAxisKey = "categories" };
            bars.Items.AddRange(values.Select(v => new BarItem(v)));
            model.Series.Add(bars);
        }
        return Svg(model);
    }

    /// <summary>Rows top to bottom as the live heatmap, each cell labelled with its count.</summary>
    public static string Heatmap(long[][] counts, Labels labels)
    {
        var model = Model(labels);
        var names = Enumerable.Range(0, counts.Length).Select(i => i.ToString()).ToArray();
        model.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Palette = OxyPalettes.Viridis(200) });
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Title = labels.X, ItemsSource = names });
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, Title = labels.Y, ItemsSource = names, StartPosition = 1, EndPosition = 0, AxisTitleDistance = 10 });
        var data = new double[counts.Length, counts.Length];
        for (var row = 0; row < counts.Length; row++)
            for (var column = 0; column < counts.Length; column++)
                data[column, row] = counts[row][column];
        model.Series.Add(new HeatMapSeries
        {
            X0 = 0,
            X1 = counts.Length - 1,
            Y0 = 0,
            Y1 = counts.Length - 1,
            Data = data,
            RenderMethod = HeatMapRenderMethod.Rectangles,
            LabelFontSize = 0.25,
            LabelFormatString = "0",
        });
        return Svg(model);
    }

    static PlotModel Model(Labels labels)
    {
        var model = new PlotModel { Title = labels.Title, DefaultFont = Font, Background = OxyColors.White };
        // Below the plot: a legend inside it would be clipped where a browser's font is wider than Helvetica.
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomCenter, LegendPlacement = LegendPlacement.Outside, LegendOrientation = LegendOrientation.Horizontal });
        return model;
    }

    static string Svg(PlotModel model) =>
        SvgExporter.ExportToString(model, Width, Height, isDocument: true, textMeasurer: null, useVerticalTextAlignmentWorkaround: true);
}
