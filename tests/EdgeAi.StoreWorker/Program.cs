// writer STORE NAME COUNT SEED   saves COUNT versions, printing each version number
// reader STORE NAME STOPFILE     loads latest until STOPFILE exists; prints "loads N" and one line per failure
using EdgeAi.Core;
using EdgeAi.Core.Model;
using EdgeAi.Core.Native;
using EdgeAi.Core.Store;
using TorchSharp;

TorchNative.EnsureLoaded();   // the reader calls torch itself before any model exists
var store = new WeightStore(args[1]) { KeepVersions = 100_000 };
var name = args[2];

switch (args[0])
{
    case "writer":
        var count = int.Parse(args[3]);
        var seed = int.Parse(args[4]);
        for (var i = 0; i < count; i++)
        {
            using var model = new MnistMlp(seed: seed * 10_000 + i);
            var manifest = store.Save(name, model);
            Console.WriteLine(manifest.Version);
        }
        return 0;

    case "reader":
        var loads = 0;
        using (var input = torch.rand(2, 784))
        {
            while (!File.Exists(args[3]))
            {
                try
                {
                    using var loaded = store.Load(ModelRef.Parse(name));
                    using var output = loaded.Model.forward(input);
                    loads++;
                }
                catch (EdgeAiException e) when (e.Message.StartsWith("No model named") || e.Message.Contains("does not exist"))
                {
                    // nothing published yet
                }
                catch (Exception e)
                {
                    Console.WriteLine($"failure: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                }
            }
        }
        Console.WriteLine($"loads {loads}");
        return 0;

    default:
        Console.Error.WriteLine($"unknown mode {args[0]}");
        return 2;
}
