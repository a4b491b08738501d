namespace EdgeAi.Core.Store;

/// <summary>
/// File writes that are safe on NFS and FUSE clients: only whole new files, flushed to stable storage,
/// then published with rename(2), or link(2) where an existing file must be kept, both atomic on one server.
/// No locks, appends or read-write opens: NFS and FUSE clients differ on all three.
/// </summary>
static class DurableFile
{
    /// <summary>Writes a new file (it must not exist) and fsyncs it.</summary>
    public static void WriteNew(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Replaces <paramref name="path"/> atomically: readers see the old or the new content, never a mix.</summary>
    public static void Replace(string path, ReadOnlySpan<byte> bytes) => Publish(path, bytes, overwrite: true);

    /// <summary>Writes <paramref name="path"/> whole or not at all: a temp file beside it, fsynced, then given its name.
    /// Without <paramref name="overwrite"/> an existing file is never replaced, not even one made a moment before
    /// (IOException).</summary>
    public static void Publish(string path, ReadOnlySpan<byte> bytes, bool overwrite)
    {
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $"{Leftovers.TempPrefix}{Leftovers.Tag()}.tmp");
        try
        {
            WriteNew(temp, bytes);
            if (overwrite)
                File.Move(temp, path, overwrite: true);
            else
                LinkNew(temp, path);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Gives <paramref name="temp"/> the name <paramref name="path"/> only if that name is free. .NET's
    /// File.Move without overwrite checks, then calls rename(2), which replaces a file made in between; link(2) fails
    /// with EEXIST instead. Where a file system has no hard links (some FUSE mounts), or off Linux, the check-and-move
    /// is what remains.</summary>
    static void LinkNew(string temp, string path)
    {
        const int EPERM = 1, EEXIST = 17, EMLINK = 31, EOPNOTSUPP = 95;
        if (!OperatingSystem.IsLinux())
        {
            File.Move(temp, path, overwrite: false);
            return;
        }
        if (Native.link(temp, path) == 0)
            return;   // the temp name is removed by the caller
        var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (errno is EPERM or EMLINK or EOPNOTSUPP)
            File.Move(temp, path, overwrite: false);
        else
            throw new IOException(errno == EEXIST ? $"{path} exists"
                                  : $"{System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}: '{path}'", errno);
    }

    static class Native
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        public static extern int link(string oldPath, string newPath);
    }
}

/// <summary>
/// Names of in-progress entries, so that what a killed writer leaves behind is recognised and removed:
/// <c>.staging-PID-GUID-HOST</c> directories and <c>.tmp-PID-GUID-HOST.tmp</c> files. Readers skip every
/// name that starts with a dot.
/// </summary>
static class Leftovers
{
    public const string StagingPrefix = ".staging-", TempPrefix = ".tmp-", TrashPrefix = ".trash-";
    static readonly TimeSpan ForeignAge = TimeSpan.FromHours(1);

    public static string Tag() => $"{Environment.ProcessId}-{Guid.NewGuid():N}-{Environment.MachineName}";

    /// <summary>Removes leftovers of dead writers on this host, of any host after an hour, and trash.</summary>
    public static void Clean(string directory)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(directory, ".*"))
        {
            var name = Path.GetFileName(path);
            if (!IsAbandoned(path, name))
                continue;
            try
            {
                if (Directory.Exists(path))
                    Directory.Delete(path, recursive: true);
                else
                    File.Delete(path);
            }
            catch (IOException) { }                  // another cleaner got there first
            catch (UnauthorizedAccessException) { }
        }
    }

    static bool IsAbandoned(string path, string name)
    {
        if (name.StartsWith(TrashPrefix))
            return true;
        var prefix = name.StartsWith(StagingPrefix) ? StagingPrefix : name.StartsWith(TempPrefix) ? TempPrefix : null;
        if (prefix is null)
            return false;

        var tag = name.EndsWith(".tmp") ? name[prefix.Length..^4] : name[prefix.Length..];
        var parts = tag.Split('-', 3);
        if (parts.Length == 3 && parts[2] == Environment.MachineName && int.TryParse(parts[0], out var pid))
            return !IsAlive(pid);
        return DateTime.UtcNow - Directory.GetLastWriteTimeUtc(path) > ForeignAge;
    }

    static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId)
            return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
