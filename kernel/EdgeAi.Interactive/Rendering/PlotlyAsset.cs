namespace EdgeAi.Interactive.Rendering;

/// <summary>
/// Publishes plotly.js, the copy Plotly.NET embeds, where the Jupyter server serves static files: EDGEAI_STATIC_DIR,
/// which scripts/jupyter-server sets for the servers it starts (./lab up, the image, a hub's user servers) and passes
/// on to their kernels. Charts fetch it from there once per page instead of carrying 3.6 MB in every notebook.
/// </summary>
static class PlotlyAsset
{
    public const string Variable = "EDGEAI_STATIC_DIR";

    /// <summary>Writes static/edgeai/plotly.min.js unless the same file is there. Returns why charts will only show
    /// their static pictures, or null.</summary>
    public static string? Publish()
    {
        var root = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(root))
            return null;   // not our server: live charts need it, pictures do not
        var target = Path.Combine(root, "edgeai", "plotly.min.js");
        try
        {
            var script = System.Text.Encoding.UTF8.GetBytes(IsolatedCharts.PlotlyJs());
            if (File.Exists(target) && new FileInfo(target).Length == script.Length && File.ReadAllBytes(target).AsSpan().SequenceEqual(script))
                return null;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            // A whole new file, renamed over the old: a page never fetches half a script, and kernels publishing
            // at the same moment each write their own temporary file.
            var temporary = $"{target}.{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temporary, script);
            File.Move(temporary, target, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"charts show static pictures only: plotly.js could not be written to {target} ({e.Message})";
        }
    }
}
