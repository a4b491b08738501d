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
