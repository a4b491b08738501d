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
    /// Returns <paramref name="folder"/> when it, and every folder above it that exists, belongs to this user or to
    /// root and cannot be changed by anyone else: not writable by others (a world-writable folder is allowed above it
    /// only with the sticky bit, as /tmp has, which stops others from renaming what is ours) and not by a group other
    /// than the user's own. Links are followed and their targets checked the same way. Folders that do not exist yet
    /// are fine: only this user can create them inside folders that pass. Otherwise throws, naming the folder, its
    /// owner and <paramref name="setting"/>, the way to choose another.
    /// </summary>
    public static string RequireOwn(string folder, string what, string setting)
    {
        var full = Path.GetFullPath(folder);
        if (!OperatingSystem.IsLinux()) return full;
        var (me, myGroup) = FileStatus.Me;
        Check(full, isTarget: true, depth: 0);
        return full;

        void Check(string path, bool isTarget, int depth)
        {
            if (depth > 16) throw Refuse(path, "it is behind more than 16 symbolic links");
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var current = "/";
            for (var i = 0; i <= parts.Length; i++)
            {
                if (i > 0) current = Path.Combine(current, parts[i - 1]);
                var last = i == parts.Length;
                var status = FileStatus.Of(current);
                switch (status.Type)
                {
                    case FileStatus.Kind.Missing:
                        return;
                    case FileStatus.Kind.Link:
                        // A link in a folder that passed was made by this user or root; where it points must pass too.
                        var target = new FileInfo(current).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? current;
                        Check(Path.Combine([target, .. parts[i..]]), isTarget, depth + 1);
                        return;
                    case FileStatus.Kind.Directory:
                        break;
                    default:
                        throw Refuse(current, "it is not a folder");
                }
                if (status.Owner != me && status.Owner != 0)
                    throw Refuse(current, $"it belongs to uid {status.Owner}, not to you (uid {me}) or root");
                if (last && isTarget && status.Owner != me)
                    throw Refuse(current, $"it belongs to uid {status.Owner}, not to you (uid {me})");
                var othersMayReplace = status.OthersMayWrite || (status.GroupMayWrite && status.Group != myGroup);
                if (othersMayReplace && (last || !status.Sticky))
                    throw Refuse(current, $"other users may write to it (mode {Convert.ToString((int)status.Mode, 8)})");
            }
        }

        EdgeAiException Refuse(string path, string why) => new(
            $"{what} would be {full}, which is not safe to use: {path} is not yours alone ({why}), so another user could " +
            $"put files there for you to load, or take what you save. Use a folder of your own: {setting}.");
    }
}
