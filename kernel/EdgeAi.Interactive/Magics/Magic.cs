using EdgeAi.Core;
using EdgeAi.Interactive.Rendering;
using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Formatting;

namespace EdgeAi.Interactive.Magics;

/// <summary>What every magic shares: a --help flag, and failures as one clear paragraph (never a stack trace).</summary>
static class Magic
{
    public static KernelDirectiveParameter HelpParameter() =>
        new("--help", "Show what this magic does and its options") { Flag = true };

    /// <param name="stopped">What an interrupt leaves behind (default: nothing saved).</param>
    public static void Add<TCommand>(Kernel kernel, KernelActionDirective directive,
                                     Func<TCommand, KernelInvocationContext, CancellationToken, Task> handler,
                                     string stopped = "Nothing was saved; the weight store is unchanged.")
        where TCommand : MagicCommand
    {
        kernel.AddDirective<TCommand>(directive, async (command, context) =>
        {
            if (command.Help)
            {
                context.ShowHtml(HtmlViews.Usage(directive));
                return;
            }
            try
            {
                using var run = Interrupts.Begin(context.CancellationToken);
                // The cell waits for the magic or for an interrupt, whichever comes first. A magic blocked in a system
                // call (a read from a hung NFS mount) cannot see its token; it is left to finish or fail on its own on
                // the thread pool, and the kernel answers the next cell meanwhile.
                await Task.Run(() => handler(command, context, run.Token), run.Token).WaitAsync(run.Token);
            }
            catch (EdgeAiException e)
            {
                context.Fail(command, message: e.Message);
            }
            catch (OperationCanceledException)
            {
                // The kernel's own cancel command, or Jupyter's interrupt button (SIGUSR2 from the launcher).
                var how = context.CancellationToken.IsCancellationRequested ? "cancelled" : "interrupted";
                context.Fail(command, message: $"{directive.Name} was {how}. {stopped}");
            }
            catch (Exception e)
            {
                context.Fail(command, message: $"{directive.Name} failed: {e.GetType().Name}: {e.Message}");
            }
        });
    }

    /// <summary>Runs one of the core's checks and keeps its message instead of stopping at it: a magic reports all of
    /// its problems at once (<see cref="AllAtOnce"/>).</summary>
    public static void Check(List<string> errors, Action check)
    {
        try
        {
            check();
        }
        catch (EdgeAiException e)
        {
            errors.Add(e.Message);
        }
    }

    /// <summary>The kernel reports only the first validation error, so every problem goes into one message.</summary>
    public static IEnumerable<string> AllAtOnce(List<string> errors) => errors.Count == 0 ? [] : [string.Join(" ", errors)];

    /// <summary>Displays HTML made by <see cref="Html"/>; the returned value can be updated in place.</summary>
    public static DisplayedValue ShowHtml(this KernelInvocationContext context, IHtmlContent html) =>
        KernelInvocationContextExtensions.Display(context, html, "text/html");

    /// <summary>Displays a chart in all its forms (<see cref="ChartOutput.MimeTypes"/>).</summary>
    public static DisplayedValue ShowChart(this KernelInvocationContext context, ChartOutput chart) =>
        KernelInvocationContextExtensions.Display(context, chart, ChartOutput.MimeTypes);
}

/// <summary>Base of the magics' commands: the shared --help flag.</summary>
public abstract class MagicCommand : KernelDirectiveCommand
{
    public bool Help { get; set; }
}
