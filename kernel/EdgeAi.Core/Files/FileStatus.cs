using System.Runtime.InteropServices;

namespace EdgeAi.Core.Files;

/// <summary>What lstat(2) says of a path: its type, owner, group and mode, without following a final link.</summary>
public readonly record struct FileStatus(FileStatus.Kind Type, uint Owner, uint Group, UnixFileMode Mode, long Length)
{
    public enum Kind { Missing, Regular, Directory, Link, Fifo, Socket, CharacterDevice, BlockDevice }

    /// <summary>Writable by users other than the owner (group or others).</summary>
    public bool OthersMayWrite => (Mode & UnixFileMode.OtherWrite) != 0;
    public bool GroupMayWrite => (Mode & UnixFileMode.GroupWrite) != 0;
    public bool Sticky => (Mode & UnixFileMode.StickyBit) != 0;

    /// <summary>
    /// The status of <paramref name="path"/>, or <see cref="Kind.Missing"/>. Read with statx(2), whose record has one
    /// layout on every Linux architecture (struct stat differs between x64 and arm64). .NET exposes neither a file's
    /// owner nor its type beyond file/directory/link (a FIFO reads as a file), which is why this calls libc.
    /// </summary>
    public static FileStatus Of(string path)
    {
        if (!OperatingSystem.IsLinux())
            return File.Exists(path) ? new(Kind.Regular, 0, 0, 0, new FileInfo(path).Length)
                 : Directory.Exists(path) ? new(Kind.Directory, 0, 0, 0, 0) : default;
        if (Native.statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, out var status) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR)
                return default;
            throw new IOException($"Cannot read the status of {path}: {Marshal.GetPInvokeErrorMessage(errno)}.");
        }
        var kind = (status.Mode & 0xF000) switch
        {
            0x8000 => Kind.Regular,
            0x4000 => Kind.Directory,
            0xA000 => Kind.Link,
            0x1000 => Kind.Fifo,
            0xC000 => Kind.Socket,
            0x2000 => Kind.CharacterDevice,
            0x6000 => Kind.BlockDevice,
            _ => Kind.Missing,
        };
        return new FileStatus(kind, status.Uid, status.Gid, (UnixFileMode)(status.Mode & 0xFFF), (long)status.Size);
    }

    /// <summary>This process's effective user and group ids.</summary>
    public static (uint User, uint Group) Me => OperatingSystem.IsLinux() ? (Native.geteuid(), Native.getegid()) : (0, 0);

    const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, ENOENT = 2, ENOTDIR = 20;
    const uint StatxBasicStats = 0x7FF;

    /// <summary>struct statx (include/uapi/linux/stat.h): only the fields read here are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    struct Statx
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
    }

    static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int statx(int dirfd, string path, int flags, uint mask, out Statx buffer);

        [DllImport("libc")]
        public static extern uint geteuid();

        [DllImport("libc")]
        public static extern uint getegid();
    }
}
