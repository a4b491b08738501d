using System.Runtime.InteropServices;

namespace EdgeAi.Interactive.Magics;

/// <summary>
/// Jupyter's interrupt button, for magics. The edgeai-kernel launcher starts dotnet-interactive with SIGINT
/// ignored (its host would shut down on it) and turns Jupyter's SIGINT into SIGUSR2; this cancels the magic
/// that is running. Kernel commands still get their own cancellation too.
/// </summary>
static class Interrupts
{
    const int SigUsr2 = 12;   // Linux, x64 and arm64
    static readonly Lock Gate = new();
    static PosixSignalRegistration? registration;
    static CancellationTokenSource? running;

    /// <summary>A token cancelled by the kernel's own cancellation or by an interrupt, for one magic.</summary>
    public static Scope Begin(CancellationToken kernelToken)
    {
        lock (Gate)
        {
            if (registration is null && OperatingSystem.IsLinux())
                registration = PosixSignalRegistration.Create((PosixSignal)SigUsr2, OnInterrupt);
            running = CancellationTokenSource.CreateLinkedTokenSource(kernelToken);
            return new Scope(running);
        }
    }

    static void OnInterrupt(PosixSignalContext signal)
    {
        signal.Cancel = true;   // SIGUSR2 would otherwise end the process
        lock (Gate)
            running?.Cancel();
    }

    public sealed class Scope(CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public void Dispose()
        {
            lock (Gate)
            {
                if (ReferenceEquals(running, source))
                    running = null;
                source.Dispose();
            }
        }
    }
}
