using System.CommandLine;
using EdgeAi.Cli;
using EdgeAi.Core;

var root = new RootCommand("EdgeAi: train, evaluate and serve the report's MNIST MLP from a shared weight store.")
{
    Commands.Train(), Commands.Evaluate(), Commands.Predict(), Commands.List(),
};
try
{
    // Without this, System.CommandLine prints every exception with its stack trace and returns 1, and the
    // named errors below would never be seen.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (EdgeAiException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled: nothing was saved; the store is unchanged.");
    return 130;
}
