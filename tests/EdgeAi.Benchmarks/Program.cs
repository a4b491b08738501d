// ./lab bench [--data DIR] [--threads N]
// Trains 3 epochs on the 60k Fashion-MNIST images at batch 32 and 128 with our core and with Debian's PyTorch
// (OpenBLAS, OPENBLAS_NUM_THREADS=1, same thread count), each in a process of its own so peak RSS is per run,
// then times build + load + predict 10k in-process. Prints numbers and ratios; asserts nothing.
using System.Diagnostics;
using System.Text.Json;
using EdgeAi.Core.Data;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Model;
using EdgeAi.Core.Native;
using EdgeAi.Core.Store;
using EdgeAi.Core.Training;

var data = Option("--data") ?? "/usr/share/datasets/fashion-mnist";
var threads = int.Parse(Option("--threads") ?? "1");

if (args.FirstOrDefault() == "--one-core-run")   // child: one training run of our core
{
    var batch = int.Parse(args[1]);
    var dataset = MnistDataset.Load(data);
    var result = Trainer.Train(dataset.Train, new TrainingOptions { BatchSize = batch, Seed = 1, Threads = threads });
    var accuracy = Evaluator.Evaluate(result.Model, dataset.Test).Accuracy;
    Console.WriteLine(JsonSerializer.Serialize(new { seconds = result.Seconds, accuracy, peak_rss_mb = PeakRssMb() }));
    return 0;
}

Console.WriteLine($"EdgeAi benchmark: 3 epochs, 60k images from {data}, {threads} thread(s), {Environment.ProcessorCount} cores, " +
                  $"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
var blas = "";
Console.WriteLine($"{"run",-28}{"seconds",9}{"accuracy",10}{"peak RSS",11}{"ratio",8}");
foreach (var batch in new[] { 128, 32 })
{
    var ours = Child("dotnet", [typeof(Program).Assembly.Location, "--one-core-run", batch.ToString(), "--data", data, "--threads", threads.ToString()]);
    var peer = Child("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "pytorch_train.py"), data, "3", batch.ToString(), threads.ToString()],
                     ("OPENBLAS_NUM_THREADS", "1"), ("OMP_NUM_THREADS", threads.ToString()));
    Print($"EdgeAi core, batch {batch}", ours, ours.Seconds / peer.Seconds);
    Print($"PyTorch {peer.Torch}, batch {batch}", peer, null);
    blas = peer.Blas;
}
Console.WriteLine($"PyTorch's BLAS: {blas}");

// Load + predict, in-process: the report's "no training" path (its 7 s on the Pi).
var temp = Directory.CreateTempSubdirectory("edgeai-bench-");
try
{
    var clock = Stopwatch.StartNew();
    TorchNative.EnsureLoaded();
    var nativeSeconds = clock.Elapsed.TotalSeconds;
    var store = new WeightStore(temp.FullName);
    using (var model = new MnistMlp()) store.Save("bench", model);
    var test = MnistDataset.Load(data).Test;
    for (var round = 0; round < 2; round++)   // the first round includes JIT warm-up
    {
        clock.Restart();
        using var loaded = store.Load(ModelRef.Parse("bench"));
        var labels = Evaluator.PredictLabels(loaded.Model, test.Pixels, test.Count);
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"build + load + predict {labels.Length} images ({(round == 0 ? "first" : "warm")}): {seconds:F3} s" +
                          (round == 0 ? $" (+ {nativeSeconds:F2} s native library load, once per process)" : ""));
    }
}
finally
{
    temp.Delete(recursive: true);
}
return 0;

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static void Print(string name, Run run, double? ratio) =>
    Console.WriteLine($"{name,-28}{run.Seconds,9:F2}{run.Accuracy,10:F4}{run.PeakRssMb,8:F0} MB{(ratio is { } r ? $"{r,8:F2}" : "")}");

static Run Child(string file, string[] arguments, params (string Name, string Value)[] environment)
{
    var info = new ProcessStartInfo(file) { RedirectStandardOutput = true };
    foreach (var a in arguments) info.ArgumentList.Add(a);
    foreach (var (name, value) in environment) info.Environment[name] = value;
    using var process = Process.Start(info)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"{file} exited {process.ExitCode}");
    var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
    return new Run(json.GetProperty("seconds").GetDouble(), json.GetProperty("accuracy").GetDouble(),
                   json.GetProperty("peak_rss_mb").GetDouble(),
                   json.TryGetProperty("torch", out var torch) ? torch.GetString()! : "",
                   json.TryGetProperty("blas", out var blas) ? string.Join(", ", blas.EnumerateArray().Select(b => b.GetString())) : "");
}

static double PeakRssMb() =>
    double.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmHWM:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;

record Run(double Seconds, double Accuracy, double PeakRssMb, string Torch = "", string Blas = "");
