namespace EdgeAi.Image.Tests.Support;

/// <summary>`podman run` options that give a container what k8s/base's Deployment gives the pod: uid 1000, a
/// read-only root filesystem with empty volumes at $HOME and /tmp, no capabilities, no privilege escalation,
/// the shared store at /books and the replica's memory limit. $HOME is a fresh host folder owned by uid 1000,
/// like an emptyDir with fsGroup 1000 (podman 4.3's --tmpfs takes no uid option).</summary>
public static class Pod
{
    public static string[] RunOptions(TempDirectory temp, string books, string memory = "2g") =>
    [
        "--user", "1000:1000", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--tmpfs", "/tmp:rw,mode=1777", "-v", $"{OwnedFolder(temp, $"home-{Guid.NewGuid():N}")}:/home/lab",
        "--memory", memory, "-v", $"{books}:/books",
    ];

    /// <summary>A host folder owned by uid 1000, e.g. for /books (like the NFS export the manifests ask for).</summary>
    public static string OwnedFolder(TempDirectory temp, string name)
    {
        var path = temp.Combine(name);
        Directory.CreateDirectory(path);
        Chown(path);
        return path;
    }

    public static void Chown(string path)
    {
        var result = System.Diagnostics.Process.Start("chown", ["1000:1000", path])!;
        result.WaitForExit();
        Assert.Equal(0, result.ExitCode);
    }
}
