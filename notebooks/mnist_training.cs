#!/usr/bin/env -S dotnet run
// mnist_training.ipynb as a .NET 10 file-based app (upstream's path now that .NET Interactive is deprecated):
//   dotnet run notebooks/mnist_training.cs [EPOCHS]
// Trains the report's MLP and saves a new version to the shared store (EDGEAI_WEIGHTS_DIR, else /books/models when
// /books is mounted, else ~/.local/share/edgeai/books). Data: EDGEAI_DATA_DIR, the image's copy, or a download.
#:project ../kernel/EdgeAi.Core/EdgeAi.Core.csproj
// TorchSharp (native libtorch) and TorchSharp.PyBridge (reflection-based JSON) need a regular, non-AOT app.
#:property PublishAot=false
#:property JsonSerializerIsReflectionEnabledByDefault=true
using EdgeAi.Core;
using EdgeAi.Core.Training;

try
{
    var epochs = args.Length > 0 ? int.Parse(args[0]) : TrainingOptions.Default.Epochs;
    var lab = await Lab.OpenAsync();
    var data = lab.Dataset;
    Console.WriteLine($"{data.Name}: {data.Train.Count:N0} training and {data.Test.Count:N0} test images; store {lab.Store.Root}");

    var saved = lab.TrainAndSave("mnist-mlp", new TrainingOptions { Epochs = epochs }, progress =>
    {
        if (progress.EpochCompleted)
            Console.WriteLine($"epoch {progress.Epoch}/{progress.Epochs}: loss {progress.Loss:F4}, accuracy {progress.Accuracy:P2}");
    });
    Console.WriteLine($"saved {saved.Manifest.Ref}: test accuracy {saved.Evaluation.Accuracy:P2}, " +
                      $"trained in {saved.Training.Seconds:F1} s");
    return 0;
}
catch (EdgeAiException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
