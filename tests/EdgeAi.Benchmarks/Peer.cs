using System.Text.Json;

/// <summary>
/// One PyTorch the benchmark trains with, and how its Python is started: the host's Debian python3-torch, or Debian
/// sid's in a root of its own (<c>scripts/peer-root run</c>: chroot, the data read-only at /data and the
/// benchmark's folder at /bench). Both run the same pytorch_train.py.
/// </summary>
sealed class Peer
{
    readonly string file;
    readonly string[] prefix;
    readonly string data;

    Peer(string name, string file, string[] prefix, string data)
    {
        Name = name;
        this.file = file;
        this.prefix = prefix;
        this.data = data;
    }

    /// <summary>Where the peer comes from, for the printed lines ("Debian 12", "Debian sid").</summary>
    public string Name { get; }

    /// <summary>The host's /usr/bin/python3 with the benchmark's copy of the script.</summary>
    public static Peer Host(string script, string data) => new("host", "/usr/bin/python3", [script], data);

    /// <summary>The python3 of the sid root ROOT, through scripts/peer-root (found above this program's folder).</summary>
    public static Peer Sid(string root, string script, string data)
    {
        var launcher = FindUp("scripts/peer-root")
                       ?? throw new FileNotFoundException("scripts/peer-root, above " + AppContext.BaseDirectory);
        var bench = Path.GetDirectoryName(Path.GetFullPath(script))!;
        return new("sid root", launcher,
                   ["run", root, data, bench, "--", "/usr/bin/python3", "/bench/" + Path.GetFileName(script)], "/data");
    }

    /// <summary>One run of pytorch_train.py with ARGUMENTS; DATA in them stands for the data folder as the peer sees it.</summary>
    public JsonElement? TryRun(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, out string error) =>
        Child.TryRun(file, [.. prefix, .. arguments.Select(a => a == DataPlaceholder ? data : a)], environment, out error);

    public const string DataPlaceholder = "{data}";

    static string? FindUp(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, relative)))
                return Path.Combine(directory.FullName, relative);
        return null;
    }
}
