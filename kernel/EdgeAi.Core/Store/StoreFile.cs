namespace EdgeAi.Core.Store;

/// <summary>
/// Reads a file that store metadata names (a manifest's weights file, a manifest, the latest pointer). Whoever can
/// write to the shared volume can write those names and links, so the file must be a plain name inside its folder,
/// a regular file and not a link (the store writes none), and its size is checked before a byte is read: a FIFO
/// would block forever and /dev/zero never ends. (A file swapped between the check and the read is not caught;
/// the checksum in the manifest still is.)
/// </summary>
static class StoreFile
{
    public static byte[] Read(string folder, string? name, string what, long maxBytes, long? exactBytes = null)
    {
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0)
            throw new EdgeAiException($"{what} names '{Printable.Of(name)}', which is not a file name inside {folder}.");
        var path = Path.Combine(folder, name);
        var info = new FileInfo(path);
        if (Directory.Exists(path))
            throw new EdgeAiException($"{what}: {path} is a directory, not a file.");
        if (!info.Exists)
            throw new FileNotFoundException($"{path} does not exist.", path);
        if (info.LinkTarget is not null)
            throw new EdgeAiException($"{what}: {path} is a symbolic link (to {Printable.Of(info.LinkTarget)}); the store writes no links, so it was not read.");
        var length = info.Length;
        if (exactBytes is { } exact && length != exact)
            throw new EdgeAiException($"{what}: {path} holds {length:N0} bytes, but {exact:N0} are recorded (a truncated copy, or not a regular file).");
        if (length > maxBytes)
            throw new EdgeAiException($"{what}: {path} holds {length:N0} bytes, more than the {maxBytes:N0} allowed; it was not read.");
        if (length == 0)
            throw new EdgeAiException($"{what}: {path} is empty (or not a regular file).");

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var bytes = new byte[length];
        var read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (read != length || stream.ReadByte() != -1)
            throw new EdgeAiException($"{what}: {path} changed while it was read; try again.");
        return bytes;
    }
}

/// <summary>Text from the store (names, hosts, links) made safe to print in a terminal or a message.</summary>
public static class Printable
{
    /// <summary>Control characters (newlines, escape sequences) as \uXXXX.</summary>
    public static string Of(string? text) =>
        text is null ? "" : string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
