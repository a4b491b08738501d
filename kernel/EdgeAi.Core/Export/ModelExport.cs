using EdgeAi.Core.Store;

namespace EdgeAi.Core.Export;

/// <summary>The formats a stored model can be exported to.</summary>
public enum ExportFormat { Onnx }

/// <summary>What an export wrote: the file, its size, the ONNX opset, and the stored version it came from.</summary>
public sealed record ExportResult(string Path, long Bytes, int Opset, ModelManifest Source)
{
    public string Summary =>
        $"exported {Source.Ref} to {Path}: {Bytes:N0} bytes, ONNX opset {Opset}, weights SHA-256 {Source.WeightsSha256}";
}

/// <summary>
/// Exports a stored version to a file. The weights come through <see cref="WeightStore.Load"/>, so only a version
/// whose checksum and shapes verify is exported. The file appears whole or not at all, and an existing file is
/// replaced only when asked to (<c>force</c>): an export never silently overwrites a model someone deployed.
/// </summary>
public static class ModelExport
{
    public static readonly IReadOnlyList<string> FormatNames = ["onnx"];

    public static ExportFormat ParseFormat(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "onnx" => ExportFormat.Onnx,
        _ => throw new EdgeAiException($"Format '{text}' is not supported: use {string.Join(", ", FormatNames)}."),
    };

    public static ExportResult Export(WeightStore store, ModelRef reference, string outPath, ExportFormat format = ExportFormat.Onnx,
                                      bool force = false)
    {
        var path = CheckedOutPath(outPath, force);
        using var loaded = store.Load(reference);
        var bytes = format switch
        {
            ExportFormat.Onnx => OnnxGraph.Build(loaded.Model, loaded.Manifest),
            _ => throw new EdgeAiException($"Format '{format}' is not supported: use {string.Join(", ", FormatNames)}."),
        };
        try
        {
            DurableFile.Publish(path, bytes, overwrite: force);
        }
        catch (IOException) when (!force && File.Exists(path))
        {
            throw Exists(path);   // made by someone else since the check
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeAiException($"Cannot write --out {path}: {e.Message}. Nothing was written; choose a folder you can write to.", e);
        }
        return new ExportResult(path, bytes.Length, OnnxGraph.Opset, loaded.Manifest);
    }

    /// <summary>The full path to write, checked before the model is read: a folder that exists, and no file there
    /// unless <paramref name="force"/>.</summary>
    static string CheckedOutPath(string outPath, bool force)
    {
        if (string.IsNullOrWhiteSpace(outPath))
            throw new EdgeAiException("--out is empty: name the file to write, e.g. --out mnist.onnx.");
        string path;
        try
        {
            path = Path.GetFullPath(outPath);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new EdgeAiException($"--out '{outPath}' is not a valid path ({e.Message}).", e);
        }
        if (Directory.Exists(path) || outPath.EndsWith('/') || outPath.EndsWith(Path.DirectorySeparatorChar))
            throw new EdgeAiException($"--out {path} is a folder; name a file in it, e.g. --out {Path.Combine(path.TrimEnd('/'), "mnist.onnx")}.");
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
            throw new EdgeAiException($"--out {path}: the folder {folder} does not exist; create it first or write elsewhere.");
        if (!force && File.Exists(path))
            throw Exists(path);
        return path;
    }

    static EdgeAiException Exists(string path) =>
        new($"--out {path} exists; pass --force to replace it, or choose another file name.");
}
