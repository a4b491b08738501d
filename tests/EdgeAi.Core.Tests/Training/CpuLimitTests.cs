using System.Reflection;
using System.Text.Json.Nodes;
using EdgeAi.Core.Training;

namespace EdgeAi.Core.Tests.Training;

/// <summary>The default number of training threads is the cores of the process's CPU limit (a pod's limits.cpu), else 1.</summary>
public sealed class CpuLimitTests : IDisposable
{
    static readonly string Cli = typeof(CpuLimitTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    string Write(string relative, string text)
    {
        var path = temp.Combine(relative.Split('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("0::/kubepods/pod1/c1\n", "kubepods/pod1/c1/cpu.max", "400000 100000\n", 4)]   // v2, a pod's limits.cpu: 4
    [InlineData("0::/kubepods/pod1/c1\n", "kubepods/cpu.max", "150000 100000\n", 2)]            // v2, on a parent, 1.5 rounds up
    [InlineData("0::/user.slice\n", "user.slice/cpu.max", "max 100000\n", null)]               // v2, no limit
    [InlineData("1:cpu,cpuacct:/docker/abc\n", "cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "200000\n", 2)]   // v1
    [InlineData("1:cpu:/\n", "cpu/cpu.cfs_quota_us", "-1\n", null)]                            // v1, no limit
    public void The_limit_is_read_from_the_process_cgroup_and_the_ones_above(string self, string file, string content, int? cores)
    {
        var proc = Write("proc-self-cgroup", self);
        Write("sys/" + file, content);
        if (file.EndsWith("cfs_quota_us"))
            Write("sys/" + file.Replace("cfs_quota_us", "cfs_period_us"), "100000\n");
        Assert.Equal(cores, CpuLimit.Cores(proc, temp.Combine("sys")));
    }

    /// <summary>A real cgroup with a CPU quota, as the kubelet makes for limits.cpu: the CLI trains with that many
    /// threads by default and refuses more.</summary>
    [Fact, Trait("Needs", "libtorch"), Trait("Needs", "cli-build")]
    public void In_a_cgroup_with_a_cpu_limit_training_uses_its_cores_by_default_and_refuses_more()
    {
        if (Files.FileStatus.Me.User != 0)
            Assert.Skip("making a cgroup needs root (./lab test runs as root in CI)");
        Idx.WriteDataset(temp.Combine("data"), train: 64, test: 16);
        var store = temp.Combine("books");
        var one = InCpuCgroup(cores: 1, "--threads", "2");
        Assert.Equal(2, one.ExitCode);
        Assert.Contains("threads 2 is outside 1-1", one.Stderr);

        var two = InCpuCgroup(cores: 2, "--name", "limited");
        Assert.True(two.ExitCode == 0, two.Output);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(store, "limited", "v000001", "manifest.json")))!;
        Assert.Equal(2, (int)manifest["training"]!["threads"]!);

        Processes.Result InCpuCgroup(int cores, params string[] more)
        {
            var v2 = File.Exists("/sys/fs/cgroup/cgroup.controllers");
            var group = v2 ? $"/sys/fs/cgroup/edgeai-test-{Environment.ProcessId}-{cores}" : $"/sys/fs/cgroup/cpu/edgeai-test-{Environment.ProcessId}-{cores}";
            Directory.CreateDirectory(group);
            try
            {
                if (v2)
                    File.WriteAllText(Path.Combine(group, "cpu.max"), $"{cores * 100000} 100000");
                else
                    File.WriteAllText(Path.Combine(group, "cpu.cfs_quota_us"), $"{cores * 100000}");
                return Processes.Execute(Processes.Info("sh",
                    ["-c", $"echo $$ > {group}/cgroup.procs && exec dotnet \"$@\"", "sh", Cli, "train", "--epochs", "1", "--batch-size", "16",
                     "--store", store, "--data", temp.Combine("data"), .. more]), TimeSpan.FromMinutes(2));
            }
            finally
            {
                Directory.Delete(group);
            }
        }
    }
}
