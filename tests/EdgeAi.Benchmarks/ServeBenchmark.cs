using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeAi.Core.Data;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using EdgeAi.Serving;

/// <summary>
/// `./lab bench --serve`: `edgeai serve` on one core, loaded by wrk (a real HTTP load generator) from the other, with
/// Fashion-MNIST test images as Open Inference Protocol requests: one image a request at 1, 8 and 64 concurrent
/// clients, and batches of 8 and 64 images at 8 clients. Beside it, the floor (the same classifier called in-process
/// on that core, no HTTP) and the peer a user would write instead (serve_peer.py: FastAPI and uvicorn in front of
/// Debian's python3-torch), under the same loads in the same run. Both runtimes, libtorch and ONNX Runtime. Prints
/// throughput, p50/p99 latency and server CPU a request, and whether each target of docs/serving.md is met (exit code
/// 1 if one is missed): at 64 clients at least half the floor's one-image rate, at 1 client p50 under 1 ms, and at
/// least 5x the peer's throughput under every load. The targets hold the default runtime, libtorch.
/// </summary>
static class ServeBenchmark
{
    const string Token = "bench-serve-token-0123456789abcdef";
    static readonly (int Images, int Clients)[] Loads = [(1, 1), (1, 8), (1, 64), (8, 8), (64, 8)];
    static readonly int[] BareBatches = [1, 8, 64];

    sealed record Load(int Images, int Clients, double RequestsPerSecond, double P50Ms, double P99Ms, double CpuUsPerRequest, string? Failure);

    public static async Task<int> RunAsync(string data, string python, double seconds, string self)
    {
        var cli = typeof(ServeBenchmark).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
        var pinned = Environment.ProcessorCount >= 2;
        string[] server = pinned ? ["taskset", "-c", "0"] : [];
        string[] client = pinned ? ["taskset", "-c", "1"] : [];
        Console.WriteLine($"EdgeAi serving benchmark on {Machine.CpuModel()}, {Environment.ProcessorCount} cores, load average " +
                          $"{File.ReadAllText("/proc/loadavg").Split(' ')[0]}: " +
                          (pinned ? "each server on core 0, wrk on core 1" : "one core: server and wrk share it (the figures are lower bounds)") +
                          $", {seconds:F0} s a load after a warm-up, Fashion-MNIST test images from {data}");

        var root = Directory.CreateTempSubdirectory("edgeai-bench-serve-");
        try
        {
            var store = new WeightStore(Path.Combine(root.FullName, "books"));
            using (var model = new MnistMlp(seed: 1))
                store.Save("mnist-mlp", model);
            var test = MnistDataset.Load(data).Test;
            var bodies = new Dictionary<int, string>();
            foreach (var images in Loads.Select(l => l.Images).Concat(BareBatches).Distinct())
            {
                bodies[images] = Path.Combine(root.FullName, $"request-{images}.json");
                File.WriteAllText(bodies[images], Request(test.Pixels.AsSpan(0, images * MnistMlp.Inputs), images));
            }

            var floor = new Dictionary<string, JsonElement>();
            foreach (var runtime in new[] { "torch", "onnx" })
            {
                string[] command = [.. server, "dotnet", self, "--serve-floor", runtime, store.Root];
                floor[runtime] = Child.Run(command[0], command[1..]);
                Console.WriteLine($"floor, {runtime}: the classifier in-process on one core, no HTTP: " + string.Join(", ", BareBatches.Select(b =>
                    $"{b} image{(b > 1 ? "s" : "")} {floor[runtime].GetProperty($"us_{b}").GetDouble():F1} µs ({floor[runtime].GetProperty($"us_{b}").GetDouble() / b:F1} µs an image)")));
            }

            var results = new Dictionary<string, List<Load>>();
            foreach (var runtime in new[] { "torch", "onnx" })
            {
                var port = FreePort();
                results[$"edgeai serve --runtime {runtime}"] = await Measure(
                    [.. server, "dotnet", cli, "serve", "--store", store.Root, "--model", "mnist-mlp", "--port", port.ToString(CultureInfo.InvariantCulture),
                     "--runtime", runtime, "--poll", "60"],
                    new() { ["EDGEAI_SERVE_TOKEN"] = Token }, port, bodies, client, seconds);
            }
            var peerName = "";
            foreach (var http in new[] { "httptools", "h11" })
            {
                var port = FreePort();
                var script = Path.Combine(AppContext.BaseDirectory, "serve_peer.py");
                try
                {
                    peerName = $"FastAPI + uvicorn ({http}) + PyTorch {PeerVersion(python)}";
                    results[peerName] = await Measure([.. server, python, script, port.ToString(CultureInfo.InvariantCulture), Token, http],
                        new() { ["OPENBLAS_NUM_THREADS"] = "1", ["OMP_NUM_THREADS"] = "1" }, port, bodies, client, seconds);
                    break;
                }
                catch (InvalidOperationException e) when (http == "httptools")
                {
                    Console.WriteLine($"the peer does not run with httptools, so with h11: {e.Message}");
                }
            }

            Console.WriteLine();
            Console.WriteLine($"{"server",-44} {"load",-22} {"requests/s",10} {"images/s",10} {"p50 ms",8} {"p99 ms",8} {"CPU µs/req",10}");
            foreach (var (name, loads) in results)
                foreach (var load in loads)
                    Console.WriteLine($"{name,-44} {Describe(load),-22} {load.RequestsPerSecond,10:F0} {load.RequestsPerSecond * load.Images,10:F0} " +
                                      $"{load.P50Ms,8:F3} {load.P99Ms,8:F3} {load.CpuUsPerRequest,10:F0}" + (load.Failure is { } f ? $"  FAILED: {f}" : ""));
            var peer = results[peerName];
            Console.WriteLine();
            foreach (var runtime in new[] { "torch", "onnx" })
                Console.WriteLine($"--runtime {runtime} to the peer, throughput: " + string.Join(", ",
                    results[$"edgeai serve --runtime {runtime}"].Zip(peer, (o, p) => $"{Describe(o)} {o.RequestsPerSecond / p.RequestsPerSecond:F1}x")));

            var missed = 0;
            var ours = results["edgeai serve --runtime torch"];
            var oneImageRate = 1e6 / floor["torch"].GetProperty("us_1").GetDouble();
            var at64 = ours.Single(l => l is { Images: 1, Clients: 64 }).RequestsPerSecond;
            missed += Target($"64 clients, one image: at least half the floor's one-image rate ({oneImageRate / 2:F0}/s): {at64:F0}/s, {at64 / oneImageRate:P0} of it", at64 >= oneImageRate / 2);
            var p50 = ours.Single(l => l is { Images: 1, Clients: 1 }).P50Ms;
            missed += Target($"1 client, one image: p50 under 1 ms: {p50:F3} ms", p50 < 1);
            var worst = ours.Zip(peer, (o, p) => (Load: o, Ratio: o.RequestsPerSecond / p.RequestsPerSecond)).MinBy(r => r.Ratio);
            missed += Target($"at least 5x the peer's throughput under every load: least {worst.Ratio:F1}x ({Describe(worst.Load)})", worst.Ratio >= 5);
            missed += Target("no failed request under any load", results.Values.SelectMany(l => l).All(l => l.Failure is null));
            return missed == 0 ? 0 : 1;
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    /// <summary>Child: the classifier `edgeai serve` would build for the store's version, called in-process as a
    /// request would call it (the request's bytes already parsed): the floor of a request's time.</summary>
    public static int Floor(string runtime, string storeRoot)
    {
        EdgeAi.Core.Native.TorchNative.EnsureLoaded();
        TorchSharp.torch.set_num_threads(1);
        var loaded = new WeightStore(storeRoot).Load(new ModelRef("mnist-mlp", 1));
        using IClassifier classifier = runtime == "onnx" ? new OnnxClassifier(loaded) : new TorchClassifier(loaded);
        var result = new Dictionary<string, double>();
        var pixels = new byte[64 * MnistMlp.Inputs];
        new Random(1).NextBytes(pixels);
        foreach (var batch in BareBatches)
        {
            var images = pixels.AsSpan(0, batch * MnistMlp.Inputs).ToArray();
            var rounds = new List<double>();
            for (var round = 0; round < 7; round++)   // the first rounds warm the JIT and the caches; the median is printed
            {
                var calls = 0;
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed.TotalSeconds < 0.3)
                {
                    classifier.Probabilities(images, null, batch);
                    calls++;
                }
                rounds.Add(clock.Elapsed.TotalMicroseconds / calls);
            }
            result[$"us_{batch}"] = rounds.Skip(2).Order().ElementAt(2);
        }
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    static async Task<List<Load>> Measure(string[] command, Dictionary<string, string> environment, int port, Dictionary<int, string> bodies,
                                          string[] client, double seconds)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            while (true)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"{string.Join(' ', command)} exited with {process.ExitCode}: {Tail(output)}");
                if (DateTime.UtcNow > deadline)
                    throw new InvalidOperationException($"{string.Join(' ', command)} was not ready within a minute: {Tail(output)}");
                try
                {
                    if ((await http.GetAsync($"http://127.0.0.1:{port}/v2/health/ready")).IsSuccessStatusCode)
                        break;
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(200);
            }
            // Warm-up: the JIT's optimized tier, the pools and caches, as a server running a while has them.
            Wrk(client, port, bodies[1], clients: 64, Math.Max(3, seconds));
            Wrk(client, port, bodies[1], clients: 1, Math.Max(2, seconds / 3));
            var loads = new List<Load>();
            foreach (var (images, clients) in Loads)
            {
                var cpu = CpuSeconds(process.Id);
                var (rate, p50, p99, requests, failure) = Wrk(client, port, bodies[images], clients, seconds);
                var used = CpuSeconds(process.Id) - cpu;
                loads.Add(new Load(images, clients, rate, p50, p99, used * 1e6 / Math.Max(1, requests), failure));
                if (process.HasExited)
                    throw new InvalidOperationException($"{string.Join(' ', command)} exited with {process.ExitCode} under load: {Tail(output)}");
            }
            return loads;
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    static (double Rate, double P50Ms, double P99Ms, long Requests, string? Failure) Wrk(string[] pin, int port, string body, int clients, double seconds)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "serve_post.lua");
        string[] command = [.. pin, "wrk", "-t1", $"-c{clients}", $"-d{seconds:F0}s", "--latency", "-s", script, $"http://127.0.0.1:{port}/v2/models/mnist-mlp/infer"];
        var output = Child.Output(command[0], command[1..], new Dictionary<string, string?> { ["BODY_FILE"] = body, ["TOKEN"] = Token }, out var exitCode);
        if (exitCode != 0)
            throw new InvalidOperationException($"wrk exited with {exitCode}: {output}");
        var rate = double.Parse(Regex.Match(output, @"Requests/sec:\s+([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(Regex.Match(output, @"(\d+) requests in").Groups[1].Value, CultureInfo.InvariantCulture);
        var failures = new List<string>();
        if (Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } non2xx)
            failures.Add($"{non2xx.Groups[1].Value} answers not 2xx");
        if (Regex.Match(output, @"Socket errors: (.*)") is { Success: true } socket)
            failures.Add($"socket errors: {socket.Groups[1].Value.Trim()}");
        return (rate, Percentile(output, "50"), Percentile(output, "99"), requests, failures.Count > 0 ? string.Join("; ", failures) : null);
    }

    /// <summary>A percentile of wrk's --latency distribution ("     99%    1.23ms"), in milliseconds.</summary>
    static double Percentile(string output, string percent)
    {
        var match = Regex.Match(output, $@"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "ms" => value, _ => value * 1000 };
    }

    /// <summary>User and system CPU of a process and its children so far (/proc/PID/stat, in clock ticks of 1/100 s).</summary>
    static double CpuSeconds(int pid)
    {
        // The command may be taskset, which execs the server in its place: the same PID.
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    static string Request(ReadOnlySpan<byte> pixels, int images)
    {
        var data = new int[pixels.Length];
        for (var i = 0; i < data.Length; i++)
            data[i] = pixels[i];
        return JsonSerializer.Serialize(new
        {
            id = "bench",
            inputs = new[] { new { name = "pixels", shape = new[] { images, MnistMlp.Inputs }, datatype = "UINT8", data } },
        });
    }

    static string Describe(Load load) => $"{load.Images} image{(load.Images > 1 ? "s" : "")}, {load.Clients} client{(load.Clients > 1 ? "s" : "")}";

    static string PeerVersion(string python) =>
        Child.Output(python, ["-c", "import torch; print(torch.__version__)"], null, out _).Trim();

    static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    static string Tail(System.Text.StringBuilder output)
    {
        lock (output)
        {
            var text = output.ToString().Trim();
            return text.Length <= 2000 ? text : text[^2000..];
        }
    }

    static int Target(string text, bool met)
    {
        Console.WriteLine($"target {(met ? "met" : "MISSED")}: {text}");
        return met ? 0 : 1;
    }
}
