using EdgeAi.Interactive.Tests.Support;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;

namespace EdgeAi.Interactive.Tests.Magics;

/// <summary>Completions offer what is known: the magics, their options, and the models in the store.</summary>
[Trait("Needs", "libtorch")]   // trains or loads a model: TorchSharp's backend (on arm64, the one docker/libtorchsharp builds)
public sealed class CompletionTests
{
    static async Task<IReadOnlyList<string>> CompleteAsync(KernelSession session, string code)
    {
        var result = await session.Kernel.SendAsync(new RequestCompletions(code, new LinePosition(0, code.Length)));
        return result.Events.OfType<CompletionsProduced>().SelectMany(c => c.Completions).Select(c => c.InsertText ?? c.DisplayText).ToList();
    }

    [Fact]
    public async Task MagicsOptionsAndStoredModelsAreOffered()
    {
        await using var session = await KernelSession.StartAsync();
        Assert.True((await session.RunAsync("#!mnist-train --epochs 1 --name digits")).Succeeded);

        Assert.Contains(await CompleteAsync(session, "#!mnist-"), c => c.Contains("#!mnist-predict"));
        Assert.Contains(await CompleteAsync(session, "#!mnist-train --"), c => c.Contains("--batch-size"));
        var models = await CompleteAsync(session, "#!mnist-load ");
        Assert.Contains(models, c => c.Contains("digits@v1"));
    }
}
