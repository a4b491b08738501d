#!/usr/bin/env -S dotnet run
// mnist_prediction.ipynb as a .NET 10 file-based app:
//   dotnet run notebooks/mnist_prediction.cs [NAME[@VERSION]]
// Rebuilds the model, loads the weights from the shared store (checksum verified) and predicts x_test[0..7].
#:project ../kernel/EdgeAi.Core/EdgeAi.Core.csproj
// TorchSharp (native libtorch) and TorchSharp.PyBridge (reflection-based JSON) need a regular, non-AOT app.
#:property PublishAot=false
#:property JsonSerializerIsReflectionEnabledByDefault=true
using EdgeAi.Core;
using EdgeAi.Core.Store;

try
{
    var lab = await Lab.OpenAsync();
    using var loaded = lab.Load(ModelRef.Parse(args.FirstOrDefault()));
    var m = loaded.Manifest;
    Console.WriteLine($"loaded {m.Ref} in {loaded.Seconds:F3} s: trained {m.CreatedUtc:u} on {m.Origin.Pod ?? m.Origin.Host}, " +
                      $"test accuracy {m.Metrics?.TestAccuracy:P2}");
    Console.WriteLine($"test accuracy now: {lab.Evaluate(loaded.Model).Accuracy:P2}");
    foreach (var p in lab.Predict(loaded.Model, 0, 8))
        Console.WriteLine($"x_test[{p.Index}]: predicted {p.Label} ({p.Confidence:P1}), true {p.TrueLabel}");
    return 0;
}
catch (EdgeAiException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
