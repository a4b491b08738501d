using System.CommandLine;
using EdgeAi.Core.Store;

namespace EdgeAi.Cli;

/// <summary><c>edgeai promote NAME@VERSION</c>: points latest at an existing, verified version (a rollback).</summary>
static class PromoteCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "NAME@VERSION: the version latest should name (e.g. mnist-mlp@3)" };
        var store = new Option<string?>("--store") { Description = $"Weight store directory (default: ${WeightStore.EnvironmentVariable}, {WeightStore.ReportStoreRoot} when {WeightStore.ReportMountPath} is mounted, or ~/.local/share/edgeai/books)" };
        var command = new Command("promote", "Point latest at an existing version after verifying it (roll back); the next save moves latest to the new version") { model, store };
        command.SetAction(parse =>
        {
            var promotion = WeightStore.Open(parse.GetValue(store)).Promote(ModelRef.Parse(parse.GetValue(model)));
            var latest = promotion.Latest.Ref;
            var was = promotion.Previous is { } v ? $"v{v}" : "none";
            Console.WriteLine(Printable.Of($"latest of {latest.Name} is now {latest} (was {was}); the next save moves it to the new version"));
            return 0;
        });
        return command;
    }
}
