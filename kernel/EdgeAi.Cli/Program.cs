using System.CommandLine;
using EdgeAi.Cli;
using EdgeAi.Core;

var root = new RootCommand("EdgeAi: train, evaluate and serve the report's MNIST MLP from a shared weight store.")
{
    Commands.Train(), Commands.Evaluate(), Commands.Predict(), Commands.List(), FedCommands.Fed(),
    ExportCommand.Create(), PromoteCommand.Create(), ServeCommand.Create(),
};
Console.SetOut(new CheckedOutput(Console.Out));
Console.SetError(new CheckedOutput(Console.Error, quiet: true));
try
{
    // Without this, System.CommandLine prints every exception with its stack trace and returns 1, and the
    // named errors below would never be seen.
    var parsed = root.Parse(args);
    if (parsed.Errors.Count > 0)
    {
        // System.CommandLine would exit 1; every usage error of edgeai exits 2, as docs/notebooks-and-magics.md says.
        foreach (var error in parsed.Errors)
            Console.Error.WriteLine($"error: {error.Message}");
        Console.Error.WriteLine("(edgeai --help lists the commands, edgeai COMMAND --help their options)");
        return 2;
    }
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (EdgeAiException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
catch (OutputFailedException e)
{
    // Standard output is a full disk, a closed file or similar (`edgeai list > /dev/full`): say so once, on standard
    // error, instead of dying of the unhandled exception (SIGABRT). A closed pipe (`| head`) is not an error here.
    Console.SetOut(TextWriter.Null);
    Console.Error.WriteLine($"error: cannot write the output: {e.Message}");
    return 74;   // EX_IOERR (sysexits.h)
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled: nothing was saved; the store is unchanged.");
    return 130;
}
