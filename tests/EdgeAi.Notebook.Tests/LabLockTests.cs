using System.Diagnostics;
using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>
/// `./lab` commands one after another, as a new user tries them: a fresh copy of the repository, a user who is not
/// root, one command right after another. The lab's feed lock is the lab's own: a build server that the first
/// command started and that outlives it (MSBuild's reusable nodes, the compiler server) must not hold it, or the
/// second command waits, silently, for as long as that server lives.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LabLockTests : IDisposable
{
    readonly TempDirectory temp = new();
    TestUser? user;

    [Fact]
    public void A_second_command_right_after_one_that_packed_does_not_wait_for_the_first_ones_build_servers()
    {
        if (Environment.UserName != "root")
            Assert.Skip("needs root: it creates a user of its own to run ./lab as");
        user = TestUser.Create(temp);
        var repository = user.CopyOfRepository();

        // The first packs the feed (dotnet pack: restore, compile, MSBuild's nodes); the second finds it packed.
        var first = user.Lab(repository, TimeSpan.FromMinutes(10), "feed");
        Assert.True(first.ExitCode == 0, $"the first ./lab feed exited {first.ExitCode}:\n{first.Output}");
        Assert.Contains("packing EdgeAi.Core and EdgeAi.Interactive", first.Output);

        var clock = Stopwatch.StartNew();
        var second = user.Lab(repository, TimeSpan.FromMinutes(2), "feed");   // throws with its output if it hangs
        Assert.True(second.ExitCode == 0, $"the second ./lab feed exited {second.ExitCode}:\n{second.Output}");
        Assert.DoesNotContain("packing", second.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the second ./lab feed took {clock.Elapsed.TotalSeconds:F0} s:\n{second.Output}");
        Report.Line("lab", $"./lab feed twice as {user.Name}: the second in {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Two ./lab commands at once: the second waits, naming the first as the lock's holder (its shell, which
    /// keeps the lock after the `flock` that took it has exited), and gives up after EDGEAI_LOCK_TIMEOUT.</summary>
    [Fact]
    public async Task A_command_waiting_for_the_lock_names_the_shell_that_holds_it()
    {
        var file = temp.Combine("feed.lock");
        var hold = Processes.Info("bash", ["-c", "set -euo pipefail; source scripts/lab/common.sh; " +
                                                 "hold() { echo held; sleep 60; }; with_lock \"$1\" 'the test lock' hold", "holder", file]);
        hold.WorkingDirectory = RealData.RepositoryRoot;
        using var holder = RunningProcess.Start(hold, "the lock's holder");
        try
        {
            await holder.WaitForLineAsync(new System.Text.RegularExpressions.Regex("^held$"), TimeSpan.FromSeconds(30), "take the lock");
            var waiter = Processes.Info("bash", ["-c", "set -euo pipefail; source scripts/lab/common.sh; with_lock \"$1\" 'the test lock' true", "waiter", file]);
            waiter.WorkingDirectory = RealData.RepositoryRoot;
            waiter.Environment["EDGEAI_LOCK_TIMEOUT"] = "1";
            var result = Processes.Execute(waiter, TimeSpan.FromMinutes(1));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"waiting for the test lock ({file}), held by PID {holder.Id} (bash)", result.Stderr);
            Assert.Contains($"gave up after 1 s waiting for the test lock ({file}), held by PID {holder.Id} (bash)", result.Stderr);
        }
        finally
        {
            if (!holder.HasExited)
                Process.GetProcessById(holder.Id).Kill(entireProcessTree: true);
        }
    }

    public void Dispose()
    {
        user?.Dispose();
        temp.Dispose();
    }

    /// <summary>A user of the test's own, with a home and a NuGet package folder in the test's folder.</summary>
    sealed class TestUser : IDisposable
    {
        readonly TempDirectory temp;
        public string Name { get; }
        public string Home => temp.Combine("home");
        string Packages => temp.Combine("nuget");

        TestUser(TempDirectory temp, string name)
        {
            this.temp = temp;
            Name = name;
        }

        public static TestUser Create(TempDirectory temp)
        {
            // The test's folder is root's and 0700: the user needs to pass through it to reach its own folders.
            File.SetUnixFileMode(temp.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            var name = $"edgeai-lock{Environment.ProcessId % 100000}";
            Processes.Run("useradd", "--no-create-home", "--home-dir", temp.Combine("home"), "--shell", "/bin/sh", "--user-group", name);
            var user = new TestUser(temp, name);
            Directory.CreateDirectory(user.Home);
            // The runner's NuGet packages, hard-linked (the files stay root's and read-only to the user; the folders
            // are the user's), so the user's restore reads them instead of downloading a gigabyte of libtorch again.
            var packages = Processes.Run("dotnet", "nuget", "locals", "global-packages", "--list").Trim().Replace("global-packages: ", "");
            Processes.Run("cp", "-al", packages, user.Packages);
            Processes.Run("chown", name, user.Home);
            Processes.Run("find", user.Packages, "-type", "d", "-exec", "chown", name, "{}", "+");
            return user;
        }

        /// <summary>The repository as a fresh clone has it (tracked files and new ones git does not ignore), the user's.</summary>
        public string CopyOfRepository()
        {
            var copy = temp.Combine("repository");
            Directory.CreateDirectory(copy);
            Processes.Run("bash", "-c", "git -C \"$1\" ls-files -z --cached --others --exclude-standard | (cd \"$1\" && xargs -0 tar -c --ignore-failed-read) | tar -C \"$2\" -x",
                          "copy", RealData.RepositoryRoot, copy);
            Processes.Run("chown", "-R", Name, copy);
            return copy;
        }

        /// <summary>`./lab ARGS` in <paramref name="repository"/> as this user, with nothing of the runner's environment but PATH.</summary>
        public Processes.Result Lab(string repository, TimeSpan timeout, params string[] arguments)
        {
            var info = Processes.Info("runuser", ["-u", Name, "--", "env", "-i", $"PATH={Environment.GetEnvironmentVariable("PATH")}",
                                                  $"HOME={Home}", $"NUGET_PACKAGES={Packages}", "DOTNET_CLI_TELEMETRY_OPTOUT=1",
                                                  "DOTNET_NOLOGO=1", "./lab", .. arguments]);
            info.WorkingDirectory = repository;
            return Processes.Execute(info, timeout);
        }

        public void Dispose()
        {
            // Whatever the user's commands left running (build servers), then the user.
            var uid = Processes.Run("id", "-u", Name).Trim();
            foreach (var pid in Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsDigit)))
            {
                try
                {
                    if (File.ReadLines($"/proc/{pid}/status").Any(l => l.StartsWith("Uid:") && l.Split('\t')[1] == uid))
                        Process.GetProcessById(int.Parse(pid!)).Kill();
                }
                catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { }
            }
            Processes.Execute("userdel", Name);
        }
    }
}
