// ./lab bench [--data DIR] [--threads N] [--repetitions N] [--sid-root DIR]; ./lab bench --federated [--data DIR]
// (FederatedBenchmark.cs); ./lab bench --serve [--data DIR] [--seconds N] (ServeBenchmark.cs). Trains 3 epochs on the 60k Fashion-MNIST images at batch 128 and 32 with our core and
// with Debian's PyTorch at its best on this machine, interleaved, each run in a process of its own: sid's newest
// (in the root DIR, scripts/peer-root) and the host's, each in every configuration it has (Configuration: eager,
// fused Adam, torch.compile; PeerBlas: the fastest OpenBLAS kernels, OpenBLAS's own threads). Prints medians,
// ranges, the share of the measured single-core FP32 peak (FmaPeak), each configuration's ratio, and whether each
// performance target is met against the fastest configuration (exit code 1 if one is missed). Then times build +
// load + predict 10k in-process.
using System.Diagnostics;
using System.Text.Json;
using EdgeAi.Core.Data;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Model;
using EdgeAi.Core.Native;
using EdgeAi.Core.Store;
using EdgeAi.Core.Training;
using TorchSharp;

var data = Option("--data") ?? "/usr/share/datasets/fashion-mnist";
var threads = int.Parse(Option("--threads") ?? "1");
var repetitions = int.Parse(Option("--repetitions") ?? "3");
var self = typeof(Program).Assembly.Location;

switch (args.FirstOrDefault())
{
    case "--federated":   // ./lab bench --federated: federations against centralised training (docs/federated.md)
        return await FederatedBenchmark.RunAsync(data);
    case "--serve":   // ./lab bench --serve: edgeai serve under load against a Python peer (ServeBenchmark.cs)
        return await ServeBenchmark.RunAsync(data, Option("--python") ?? "/usr/bin/python3", double.Parse(Option("--seconds") ?? "8"), self);
    case "--serve-floor":   // child: the classifier in-process, the floor of a request's time
        return ServeBenchmark.Floor(args[1], args[2]);
    case "--one-core-run":   // child: one training run of our core
        {
            var batch = int.Parse(args[1]);
            var dataset = MnistDataset.Load(data);
            var result = Trainer.Train(dataset.Train, new TrainingOptions { BatchSize = batch, Seed = 1, Threads = threads });
            var accuracy = Evaluator.Evaluate(result.Model, dataset.Test).Accuracy;
            Console.WriteLine(JsonSerializer.Serialize(new { seconds = result.Seconds, accuracy, peak_rss_mb = PeakRssMb() }));
            return 0;
        }
    case "--products":   // ./lab bench --products: each of the step's products alone, at a whole batch's and a part's shapes
        return ProductProbe.Run(FmaPeak.Measure().Gflops);
    case "--gemm-probe":   // child: our libtorch's sgemm on the training's largest product
        {
            TorchNative.EnsureLoaded();
            torch.set_num_threads(threads);
            using var a = torch.rand(128, MnistMlp.Inputs);
            using var b = torch.rand(MnistMlp.Inputs, 128);
            for (var i = 0; i < 20; i++)
                a.matmul(b).Dispose();
            var calls = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < 0.5)
            { a.matmul(b).Dispose(); calls++; }
            Console.WriteLine(JsonSerializer.Serialize(new { gflops = calls * 2.0 * 128 * MnistMlp.Inputs * 128 / clock.Elapsed.TotalSeconds / 1e9 }));
            return 0;
        }
}

Console.WriteLine($"EdgeAi benchmark on {Machine.CpuModel()}, {Environment.ProcessorCount} cores, load average " +
                  $"{File.ReadAllText("/proc/loadavg").Split(' ')[0]}: 3 epochs, 60k images from {data}, {threads} thread(s), " +
                  $"{repetitions} interleaved runs each");
var (peak, vectors) = FmaPeak.Measure();
Console.WriteLine($"single-core FP32 peak, measured (fused multiply-adds in {vectors}): {peak:F0} GFLOP/s");

var ours = Child.Run("dotnet", [self, "--gemm-probe", "--threads", threads.ToString()]).GetProperty("gflops").GetDouble();
Console.WriteLine($"our libtorch's sgemm, 128x784 by 784x128: {ours:F0} GFLOP/s ({ours / peak:P0} of peak); {MklPath()}");

var script = Path.Combine(AppContext.BaseDirectory, "pytorch_train.py");
var peers = new List<Peer>();
if (Option("--sid-root") is { } sidRoot)
    peers.Add(Peer.Sid(sidRoot, script, data));
else
    Console.WriteLine("no Debian sid peer in this run (./lab bench gives one with --sid-root DIR, as root)");
peers.Add(Peer.Host(script, data));

// Every configuration of every peer: each variant its PyTorch has (eager, fused Adam, torch.compile), with the
// fastest OpenBLAS kernel family it can run, OpenBLAS on one thread beside PyTorch's THREADS; at more than one
// thread, also OpenBLAS on as many threads as PyTorch. The fastest configuration is the ratios' peer.
var configurations = new List<Configuration>();
foreach (var peer in peers)
{
    var probes = PeerBlas.ProbeAll(peer, threads, out var probeError);
    if (probes.Count == 0)
    {
        Console.WriteLine($"the {peer.Name} peer does not run, left out: {probeError}");
        continue;
    }
    var torch = probes[0].Torch;
    var detected = probes.FirstOrDefault(p => p.Forced == "") ?? probes[0];
    var best = probes.MaxBy(p => p.Gflops)!;
    Console.WriteLine($"PyTorch {torch} ({peer.Name}): its OpenBLAS on the same product, one thread, each kernel family this CPU runs " +
                      "(OpenBLAS variables unset): " +
                      string.Join(", ", probes.Select(p => $"{(p.Forced == "" ? $"detected {p.Core}" : p.Forced == p.Core ? p.Core : $"{p.Forced} (runs {p.Core})")} {p.Gflops:F0}")) + " GFLOP/s; " +
                      $"it runs with {(best.Forced == "" ? $"the family it detects ({best.Core})" : $"OPENBLAS_CORETYPE={best.Forced}")}" +
                      (best == detected ? "" : $" (it detects {detected.Core}, {best.Gflops / detected.Gflops:F1}x slower)"));
    foreach (var variant in Configuration.Variants)
    {
        var check = peer.TryRun(["--available", variant], PeerBlas.Environment(best.Forced, 1, threads), out var error);
        if (check is not { } available || !available.GetProperty("available").GetBoolean())
        {
            Console.WriteLine($"PyTorch {torch}, {Configuration.Describe(variant)}: not available on {Configuration.Short(torch)} " +
                              $"({(check is { } c ? c.GetProperty("why").GetString() : error)})");
            continue;
        }
        foreach (var blasThreads in threads == 1 ? [1] : new[] { 1, threads })
            configurations.Add(new Configuration(peer, torch, variant, best.Forced, best.Core, blasThreads, threads));
    }
}
if (configurations.Count == 0)
    throw new InvalidOperationException("no PyTorch peer runs here");
Console.WriteLine($"{configurations.Count} peer configurations, each printed below: " + string.Join("; ", configurations.Select(c => c.Label)));

var runs = new Dictionary<(string Who, int Batch), List<JsonElement>>();
var failed = new Dictionary<Configuration, string>();
for (var repetition = 0; repetition < repetitions; repetition++)
    foreach (var batch in new[] { 128, 32 })
    {
        Add("core", batch, Child.Run("dotnet", [self, "--one-core-run", batch.ToString(), "--data", data, "--threads", threads.ToString()]));
        foreach (var configuration in configurations.Where(c => !failed.ContainsKey(c)))
        {
            var run = configuration.Peer.TryRun([Peer.DataPlaceholder, "3", batch.ToString(), threads.ToString(), configuration.Variant],
                                                configuration.Environment, out var error);
            if (run is { } result)
                Add(configuration.Label, batch, result);
            else
            {
                failed[configuration] = error;
                Console.WriteLine($"{configuration.Label} failed at batch {batch}, left out: {error}");
            }
        }
    }
var measured = configurations.Where(c => !failed.ContainsKey(c)).ToList();
if (measured.Count == 0)
    throw new InvalidOperationException("every peer configuration failed");

var gflop = TrainingFlops(MnistDataset.Load(data).Train.Count) / 1e9;
Console.WriteLine($"training: {gflop:F1} GFLOP of matrix products (forward, weight gradients, hidden-layer input gradients)");
Console.WriteLine($"{"run",-74}{"median s",9}{"range",13}{"accuracy",10}{"peak RSS",10}{"GFLOP/s",9}{"of peak",9}{"ratio",7}");
var ratios = new Dictionary<int, double>();
var shares = new Dictionary<int, double>();
var fastest = new Dictionary<int, Configuration>();
foreach (var batch in new[] { 128, 32 })
{
    var core = Median("core", batch);
    fastest[batch] = measured.MinBy(c => Median(c.Label, batch))!;
    ratios[batch] = core / Median(fastest[batch].Label, batch);
    shares[batch] = gflop / core / peak;
    Row($"EdgeAi core (TorchSharp), batch {batch}", "core", batch, null);
    foreach (var configuration in measured)
        Row($"{(configuration == fastest[batch] ? "* " : "  ")}{configuration.Label}, batch {batch}", configuration.Label, batch,
            core / Median(configuration.Label, batch));
}
Console.WriteLine("ratio: the core's median time over the configuration's; * the fastest configuration, the ratio the targets check");
var missed = 0;
foreach (var batch in new[] { 128, 32 })
    Console.WriteLine($"batch {batch}: the ratio's peer is {fastest[batch].Label} ({Median(fastest[batch].Label, batch):F2} s)");
Target($"batch 128: time ratio to the fastest peer <= 0.70 (is {ratios[128]:F2})", ratios[128] <= 0.70);
Target($"batch 128: >= 50% of the single-core peak (is {shares[128]:P0})", shares[128] >= 0.50);
Target($"batch 32: time ratio to the fastest peer <= 0.60 (is {ratios[32]:F2})", ratios[32] <= 0.60);

// Load + predict, in-process: the report's "no training" path (its 7 s on the Pi).
var temp = Directory.CreateTempSubdirectory("edgeai-bench-");
try
{
    var clock = Stopwatch.StartNew();
    TorchNative.EnsureLoaded();
    var nativeSeconds = clock.Elapsed.TotalSeconds;
    var store = new WeightStore(temp.FullName);
    using (var model = new MnistMlp())
        store.Save("bench", model);
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
return missed == 0 ? 0 : 1;

void Add(string who, int batch, JsonElement run)
{
    if (!runs.TryGetValue((who, batch), out var list))
        runs[(who, batch)] = list = [];
    list.Add(run);
}

double Median(string who, int batch) => Values(who, batch, "seconds")[repetitions / 2];

double[] Values(string who, int batch, string name) => runs[(who, batch)].Select(r => r.GetProperty(name).GetDouble()).Order().ToArray();

void Row(string name, string who, int batch, double? ratio)
{
    var seconds = Values(who, batch, "seconds");
    var median = Median(who, batch);
    Console.WriteLine($"{name,-74}{median,9:F2}{$"{seconds[0]:F2}-{seconds[^1]:F2}",13}{Values(who, batch, "accuracy")[repetitions / 2],10:F4}" +
                      $"{Values(who, batch, "peak_rss_mb")[^1],7:F0} MB{gflop / median,9:F0}{gflop / median / peak,9:P0}{(ratio is { } r ? $"{r,7:F2}" : "")}");
}

void Target(string text, bool met)
{
    if (!met)
        missed++;
    Console.WriteLine($"target {(met ? "met" : "MISSED")}: {text}");
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

// MKL reports the instruction set it dispatched to in its verbose mode's first line (libtorch's MKL is static).
string MklPath()
{
    var output = Child.Output("dotnet", [self, "--gemm-probe", "--threads", threads.ToString()],
                              new Dictionary<string, string?> { ["MKL_VERBOSE"] = "1" }, out _);
    var header = output.Split('\n').FirstOrDefault(l => l.StartsWith("MKL_VERBOSE oneMKL") || l.StartsWith("MKL_VERBOSE Intel"));
    return header is null ? "no MKL in this libtorch" : "MKL path: " + header[(header.IndexOf("architecture ", StringComparison.Ordinal) + 13)..].Split(',')[0];
}

static double TrainingFlops(int images)
{
    const double forward = 2.0 * (MnistMlp.Inputs * MnistMlp.Hidden + MnistMlp.Hidden * MnistMlp.Hidden + MnistMlp.Hidden * MnistMlp.Classes);
    const double hiddenInputGradients = 2.0 * (MnistMlp.Hidden * MnistMlp.Hidden + MnistMlp.Hidden * MnistMlp.Classes);
    return 3.0 * images * (2 * forward + hiddenInputGradients);
}

static double PeakRssMb() =>
    double.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmHWM:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
