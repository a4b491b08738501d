using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace EdgeAi.Notebook.Tests.Support;

/// <summary>A running dotnet-interactive kernel seen from /proc: its user, its connection file, and the sockets it
/// listens on (what another local process could try to reach).</summary>
public sealed record KernelProcess(int Pid)
{
    /// <summary>The dotnet process of a kernel below <paramref name="root"/> (the launcher shell is its parent).</summary>
    public static KernelProcess Below(int root) =>
        new(Ports.Descendants(root).Single(pid => Read($"/proc/{pid}/comm").Trim() == "dotnet"
                                                  && Read($"/proc/{pid}/cmdline").Contains("Microsoft.DotNet.Interactive.App.dll")));

    public string[] CommandLine => Read($"/proc/{Pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);

    public string Environment => Read($"/proc/{Pid}/environ");

    public int Uid => int.Parse(File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);

    /// <summary>The five ZeroMQ ports Jupyter gave the kernel (the connection file is its last argument).</summary>
    public int[] ConnectionFilePorts
    {
        get
        {
            var info = JsonNode.Parse(File.ReadAllText(CommandLine[^1]))!;
            return new[] { "shell_port", "iopub_port", "stdin_port", "control_port", "hb_port" }.Select(k => (int)info[k]!).Order().ToArray();
        }
    }

    /// <summary>Listening TCP sockets as (address, port) and listening Unix sockets as paths.</summary>
    public (List<IPEndPoint> Tcp, List<string> Unix) ListeningSockets()
    {
        var inodes = Directory.GetFiles($"/proc/{Pid}/fd").Select(fd => { try { return new FileInfo(fd).LinkTarget ?? ""; } catch (IOException) { return ""; } })
            .Where(t => t.StartsWith("socket:[")).Select(t => t[8..^1]).ToHashSet();
        var tcp = new List<IPEndPoint>();
        foreach (var table in new[] { "tcp", "tcp6" })
            foreach (var f in File.ReadLines($"/proc/{Pid}/net/{table}").Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
                if (f[3] == "0A" && inodes.Contains(f[9]))
                    tcp.Add(Endpoint(f[1]));
        // /proc/net/unix: Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 = listening.
        var unix = File.ReadLines($"/proc/{Pid}/net/unix").Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 7 && inodes.Contains(f[6]) && (int.Parse(f[3], NumberStyles.HexNumber) & 0x10000) != 0)
            .Select(f => f[7]).ToList();
        return (tcp, unix);
    }

    static IPEndPoint Endpoint(string hex)
    {
        var (address, port) = (hex.Split(':')[0], int.Parse(hex.Split(':')[1], NumberStyles.HexNumber));
        var bytes = Convert.FromHexString(address);
        for (var i = 0; i < bytes.Length; i += 4)
            Array.Reverse(bytes, i, 4);   // each 32-bit word is in host order
        return new IPEndPoint(new IPAddress(bytes), port);
    }

    static string Read(string path)
    {
        try
        { return File.ReadAllText(path); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
