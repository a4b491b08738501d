using System.Diagnostics;
using System.Text.RegularExpressions;
using EdgeAi.Notebook.Tests.Support;

namespace EdgeAi.Notebook.Tests;

/// <summary>
/// What the lab installs, and when: everything the tests use is there before they start (`./lab test`), and an
/// install that meets another package manager (Ubuntu's unattended upgrades after boot, another apt-get) waits for
/// its lock, saying who holds it, for a bounded time.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LabInstallTests
{
    [Fact]
    public void What_the_tests_start_is_installed_before_they_run()
    {
        // ReplicaTests starts `./lab up --replicas 2`, which runs nginx: `./lab test` installs it up front, so no test
        // installs anything while the others run.
        var nginx = Processes.Execute("sh", "-c", "command -v nginx");
        Assert.True(nginx.ExitCode == 0, "nginx is not installed: ./lab test installs it before the tests start");
    }

    /// <summary>A user who is not root and lacks a package: without sudo, ./lab says what to run as root, updating the
    /// package lists first (a fresh machine has none); with sudo but no terminal to ask on, it runs nothing as root
    /// unless EDGEAI_ASSUME_YES=1 says so.</summary>
    [Theory]
    [InlineData(false, null, "missing packages: edgeai-no-such-package; install them as root (apt-get update && apt-get install edgeai-no-such-package), then run ./lab again")]
    [InlineData(true, null, "not running sudo without asking, and there is no terminal to ask on: install them (sudo sh -c 'apt-get update && apt-get install edgeai-no-such-package') or set EDGEAI_ASSUME_YES=1")]
    [InlineData(true, "1", "could not install edgeai-no-such-package")]
    public void A_user_who_is_not_root_is_told_what_to_install_and_sudo_runs_only_when_asked_for(bool sudo, string? assumeYes, string message)
    {
        using var temp = new TempDirectory();
        // This machine's programs, with a sudo of the test's own that records its calls, or none.
        var bin = Directory.CreateDirectory(temp.Combine("bin")).FullName;
        foreach (var program in new[] { "/usr/local/bin", "/usr/bin", "/usr/sbin" }.SelectMany(Directory.GetFiles))
            if (Path.GetFileName(program) != "sudo" && !File.Exists(Path.Combine(bin, Path.GetFileName(program))))
                File.CreateSymbolicLink(Path.Combine(bin, Path.GetFileName(program)), program);
        var calls = temp.Combine("sudo-calls");
        if (sudo)
        {
            File.WriteAllText(Path.Combine(bin, "sudo"), $"#!/bin/sh\necho \"$*\" >> '{calls}'\nexit 1\n");
            File.SetUnixFileMode(Path.Combine(bin, "sudo"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        // `id` answers as a user who is not root would, whoever runs the tests.
        var install = Processes.Info("bash", ["-c", "set -euo pipefail; source scripts/lab/common.sh; source scripts/lab/install.sh; " +
                                                    "id() { echo 1000; }; ensure_packages edgeai-no-such-package"]);
        install.WorkingDirectory = RealData.RepositoryRoot;
        install.Environment["PATH"] = bin;
        install.Environment["EDGEAI_DPKG_LOCK_TIMEOUT"] = "3";
        install.Environment.Remove("EDGEAI_ASSUME_YES");
        if (assumeYes is not null)
            install.Environment["EDGEAI_ASSUME_YES"] = assumeYes;
        var result = Processes.Execute(install, TimeSpan.FromMinutes(1), input: "");   // standard input: a pipe, not a terminal
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain(" )", result.Stderr);
        if (assumeYes is null)
            Assert.False(File.Exists(calls), $"sudo ran unasked: {(File.Exists(calls) ? File.ReadAllText(calls) : "")}");
        else
            Assert.Contains("apt-get", File.ReadAllText(calls));
    }

    [Fact]
    public async Task An_install_waits_for_the_dpkg_lock_naming_its_holder_and_gives_up_after_its_bound()
    {
        if (Environment.UserName != "root")
            Assert.Skip("needs root: it holds dpkg's lock as another package manager would");
        // Another package manager, as apt holds its lock: an fcntl lock on /var/lib/dpkg/lock-frontend.
        const string hold = "import fcntl, sys, time\n" +
                            "lock = open('/var/lib/dpkg/lock-frontend', 'a')\n" +
                            "try: fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)\n" +
                            "except OSError: sys.exit('the dpkg lock is held already: a package manager is running')\n" +
                            "print('held', flush=True)\n" +
                            "time.sleep(120)\n";
        using var holder = RunningProcess.Start(Processes.Info(Processes.Python, ["-c", hold]), "the lock's holder");
        try
        {
            await holder.WaitForLineAsync(new Regex("^held$"), TimeSpan.FromSeconds(30), "take the lock");
            var install = Processes.Info("bash", ["-c", "set -euo pipefail; source scripts/lab/common.sh; source scripts/lab/install.sh; ensure_packages edgeai-no-such-package"]);
            install.WorkingDirectory = RealData.RepositoryRoot;
            install.Environment["EDGEAI_DPKG_LOCK_TIMEOUT"] = "3";
            var clock = Stopwatch.StartNew();
            var result = Processes.Execute(install, TimeSpan.FromMinutes(2));
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains($"waiting for the dpkg lock held by PID {holder.Id} (python3)", result.Output);
            Assert.Contains("gave up after 3 s", result.Output);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the install took {clock.Elapsed.TotalSeconds:F0} s:\n{result.Output}");
        }
        finally
        {
            if (!holder.HasExited)
                Process.GetProcessById(holder.Id).Kill();
        }
    }
}
