using System.Diagnostics;
using EdgeAi.Interactive.Magics;
using EdgeAi.Interactive.Tests.Support;
using Microsoft.DotNet.Interactive.Directives;

namespace EdgeAi.Interactive.Tests.Magics;

/// <summary>
/// Jupyter's interrupt (SIGUSR2 from the kernel's launcher) ends every magic's wait, even one blocked where no token is
/// looked at (a read on a hung NFS mount, a FIFO), and the kernel answers the next cell.
/// </summary>
public sealed class InterruptTests
{
    public sealed class BlockMagic : MagicCommand;

    [Fact]
    public async Task A_magic_blocked_in_a_call_that_ignores_its_token_is_interrupted_and_the_kernel_carries_on()
    {
        await using var session = await KernelSession.StartAsync();
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Magic.Add<BlockMagic>(session.Kernel, new KernelActionDirective("#!test-block") { Parameters = [Magic.HelpParameter()] }, (_, _, _) =>
        {
            started.Set();
            release.Wait();   // as a read(2) that never returns: no token is consulted
            return Task.CompletedTask;
        });
        try
        {
            var cell = session.RunAsync("#!test-block");
            Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "the magic never started");
            Processes.Run("kill", "-USR2", Environment.ProcessId.ToString());
            var clock = Stopwatch.StartNew();
            var finished = await Task.WhenAny(cell, Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.True(finished == cell, "the interrupted cell never finished");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the interrupt took {clock.Elapsed}");
            Assert.Contains("#!test-block was interrupted", (await cell).Error);
            Assert.Equal("2", (await session.RunAsync("1 + 1")).ReturnValue);
        }
        finally
        {
            release.Set();
        }
    }
}
