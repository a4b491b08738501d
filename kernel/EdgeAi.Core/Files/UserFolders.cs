using EdgeAi.Core.Store;

namespace EdgeAi.Core.Files;

/// <summary>
/// The per-user folders that defaults live in (the weight store outside a cluster, the data and native caches), as
/// the XDG base directory specification has them. A default is never relative, so the same command finds the same
/// store from every working folder, and never a folder that another user owns or can write to, so nobody can plant a
/// model or a library there first (as in a shared /tmp or a 1777 lab folder used as a home).
/// </summary>
public static class UserFolders
{
    /// <summary><c>$XDG_DATA_HOME</c> when it is absolute (the specification ignores relative values), else ~/.local/share.</summary>
    public static string DataHome => Base("XDG_DATA_HOME", Path.Combine(".local", "share"));

    /// <summary><c>$XDG_CACHE_HOME</c> when it is absolute, else ~/.cache.</summary>
    public static string CacheHome => Base("XDG_CACHE_HOME", ".cache");

    /// <summary>The user's home: <c>$HOME</c>, else the password database's entry. .NET's default folder lookup
    /// returns "" for a folder that does not exist yet, which turned every default into a path under the working
    /// folder; this never does.</summary>
    public static string Home
    {
        get
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(home) || !Path.IsPathRooted(home))
                throw new EdgeAiException(
                    $"This user has no home folder (HOME is '{Printable.Of(home)}'), so EdgeAi has no default place for its store and caches. " +
                    "Set HOME to an absolute folder of your own, or name the folders: EDGEAI_WEIGHTS_DIR (or --store), EDGEAI_DATA_DIR (or --data), XDG_CACHE_HOME.");
            return home;
        }
    }

    static string Base(string variable, string underHome) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value && Path.IsPathRooted(value) ? value : Path.Combine(Home, underHome);

    /// <summary>
    /// Returns <paramref name="folder"/>, made if missing (mode 0700, as the XDG specification asks of its folders),
    /// once it and every folder above it belong to this user or root and cannot be changed by anyone else: not writable
    /// by others (a world-writable folder is allowed above it only with the sticky bit, as /tmp has, which stops others
    /// from renaming what is ours) nor by a group that anyone else is in. A link must belong to this user or root (in a
    /// sticky folder its owner could point it elsewhere at any time), and where it points is checked the same way.
    /// What is missing is made at once and the whole path checked again: a folder someone else made first, in the
    /// moment between, is then found and refused. Otherwise throws, naming the folder, its owner and
    /// <paramref name="setting"/>, the way to choose another.
    /// </summary>
    public static string RequireOwn(string folder, string what, string setting)
    {
        var full = Path.GetFullPath(folder);
        if (!OperatingSystem.IsLinux())
            return full;
        var (me, myGroup) = FileStatus.Me;
        if (!Check(full, isTarget: true, depth: 0))
        {
            try
            {
                // One by one: CreateDirectory gives the mode to the last folder only.
                var parts = full.Split('/', StringSplitOptions.RemoveEmptyEntries);
                for (var i = 1; i <= parts.Length; i++)
                {
                    var part = "/" + string.Join('/', parts[..i]);
                    if (!Directory.Exists(part))
                        Directory.CreateDirectory(part, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new EdgeAiException($"{what} would be {full}, which cannot be made: {e.Message} Use a folder of your own: {setting}.", e);
            }
            Check(full, isTarget: true, depth: 0);
        }
        return full;

        // True when the whole path exists (and passed), false when a part is missing (what exists passed).
        bool Check(string path, bool isTarget, int depth)
        {
            if (depth > 16)
                throw Refuse(path, "it is behind more than 16 symbolic links");
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var current = "/";
            for (var i = 0; i <= parts.Length; i++)
            {
                if (i > 0)
                    current = Path.Combine(current, parts[i - 1]);
                var last = i == parts.Length;
                var status = FileStatus.Of(current);
                switch (status.Type)
                {
                    case FileStatus.Kind.Missing:
                        return false;
                    case FileStatus.Kind.Link:
                        if (status.Owner != me && status.Owner != 0)
                            throw Refuse(current, $"it is a symbolic link that belongs to uid {status.Owner}, not to you (uid {me}) or root");
                        var target = new FileInfo(current).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? current;
                        return Check(Path.Combine([target, .. parts[i..]]), isTarget, depth + 1);
                    case FileStatus.Kind.Directory:
                        break;
                    default:
                        throw Refuse(current, "it is not a folder");
                }
                if (status.Owner != me && status.Owner != 0)
                    throw Refuse(current, $"it belongs to uid {status.Owner}, not to you (uid {me}) or root");
                if (last && isTarget && status.Owner != me)
                    throw Refuse(current, $"it belongs to uid {status.Owner}, not to you (uid {me})");
                var othersMayReplace = status.OthersMayWrite || (status.GroupMayWrite && !(status.Group == myGroup && IsPrivateGroup(status.Group)));
                if (othersMayReplace && (last || !status.Sticky))
                    throw Refuse(current, $"other users may write to it (mode {Convert.ToString((int)status.Mode, 8)}" +
                                          (status.OthersMayWrite ? ")" : $", group {status.Group}, which others are in)"));
            }
            return true;
        }

        EdgeAiException Refuse(string path, string why) => new(
            $"{what} would be {full}, which is not safe to use: {path} is not yours alone ({why}), so another user could " +
            $"put files there for you to load, or take what you save. Use a folder of your own: {setting}.");
    }

    /// <summary>
    /// Whether group <paramref name="gid"/> is this user's alone, as a user-private group is (Debian's default: a group
    /// named after the user, with no other members, nobody else's primary group). Read from /etc/group and /etc/passwd;
    /// a group these files do not describe (one from a directory service) counts as shared.
    /// </summary>
    static bool IsPrivateGroup(uint gid)
    {
        try
        {
            var me = Environment.UserName;
            var group = File.ReadLines("/etc/group").Select(l => l.Split(':')).FirstOrDefault(f => f.Length >= 4 && f[2] == gid.ToString());
            if (group is null || group[0] != me)
                return false;
            if (group[3].Split(',', StringSplitOptions.RemoveEmptyEntries).Any(member => member != me))
                return false;
            return !File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Any(f => f.Length >= 4 && f[3] == gid.ToString() && f[0] != me);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
