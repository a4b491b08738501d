using System.Reflection;
using System.Runtime.Loader;

namespace EdgeAi.Interactive.Rendering;

/// <summary>
/// The charts (Plotly.NET live, OxyPlot static) behind an isolated AssemblyLoadContext. The pinned dotnet-interactive loads FSharp.Core 10.0
/// at start; Plotly.NET 6 needs FSharp.Core 10.1 and fails on its first chart there. EdgeAi.Charts, Plotly.NET
/// and their own FSharp.Core live in the package's charts/ folder and are loaded here, apart from the kernel's;
/// only strings and arrays cross the boundary.
/// </summary>
static class IsolatedCharts
{
    static readonly Lazy<Type> Api = new(Load);

    public static string PlotlyJs() => Call<string>("PlotlyJs");
    public static ChartOutput TrainingCurves(int[] epochs, double[] loss, double[] accuracy, string title) =>
        Chart("TrainingCurves", epochs, loss, accuracy, title);
    public static ChartOutput FederatedAccuracy(int[] rounds, double[] accuracy, string title) =>
        Chart("RoundAccuracy", rounds, accuracy, title);
    public static ChartOutput Confusion(long[][] counts, string title) => Chart("ConfusionHeatmap", counts, title);
    public static ChartOutput Probabilities(string[] names, double[][] probabilities, string title) =>
        Chart("Probabilities", names, probabilities, title);
    public static ChartOutput SecondsBars(string[] categories, string[] series, double[][] seconds, string title) =>
        Chart("SecondsBars", categories, series, seconds, title);

    static ChartOutput Chart(string method, params object[] arguments)
    {
        var forms = Call<string[]>(method, arguments);
        return new ChartOutput(forms[0], forms[1], forms[2]);
    }

    static T Call<T>(string method, params object[] arguments)
    {
        try
        {
            return (T)Api.Value.GetMethod(method)!.Invoke(null, arguments)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new InvalidOperationException($"Chart '{method}' failed: {e.InnerException.Message}", e.InnerException);
        }
    }

    static Type Load()
    {
        var directory = ChartsDirectory();
        var context = new IsolatedContext(directory);
        return context.LoadFromAssemblyPath(Path.Combine(directory, "EdgeAi.Charts.dll")).GetType("EdgeAi.Charts.ChartBuilder", throwOnError: true)!;
    }

    /// <summary>bin/charts next to this assembly (builds and tests), or charts/ at the NuGet package's root.</summary>
    static string ChartsDirectory()
    {
        var here = Path.GetDirectoryName(typeof(IsolatedCharts).Assembly.Location)!;
        foreach (var candidate in new[] { Path.Combine(here, "charts"), Path.GetFullPath(Path.Combine(here, "..", "..", "charts")) })
            if (File.Exists(Path.Combine(candidate, "EdgeAi.Charts.dll")))
                return candidate;
        throw new FileNotFoundException($"EdgeAi.Charts.dll not found in {here}/charts or the package's charts/ folder.");
    }

    /// <summary>Resolves every assembly present in the charts folder from there; the rest (System.*) from the default context.</summary>
    sealed class IsolatedContext(string directory) : AssemblyLoadContext("edgeai-charts")
    {
        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(directory, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
