using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;

namespace EdgeAi.Core.Tests.Serving;

/// <summary>`edgeai serve` as a user runs it: a real server process on loopback, spoken to over HTTP with the Open
/// Inference Protocol's JSON, while the test publishes, promotes and damages versions in its store.</summary>
[Trait("Needs", "cli-build")]
public sealed class ServeTests : IDisposable
{
    static readonly string Cli = typeof(ServeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
    const string Token = "serve-tests-token-0123456789";
    readonly TempDirectory temp = new();
    readonly WeightStore store;
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    RunningProcess? server;
    int port;

    public ServeTests() => store = new WeightStore(temp.Combine("books"));

    public void Dispose()
    {
        if (server is { HasExited: false })
            System.Diagnostics.Process.GetProcessById(server.Id).Kill(entireProcessTree: true);
        server?.Dispose();
        http.Dispose();
        temp.Dispose();
    }

    async Task StartAsync(params string[] extra)
    {
        port = Ports.Free();
        var info = Processes.Info("dotnet", [Cli, "serve", "--store", store.Root, "--port", port.ToString(), "--poll", "0.2", .. extra]);
        info.Environment["EDGEAI_SERVE_TOKEN"] = Token;
        server = RunningProcess.Start(info, "edgeai serve");
        await server.WaitForLineAsync(new Regex("^serving "), TimeSpan.FromMinutes(1), "the first version to be served");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        // As curl does for a large body: a body refused for its size is then never sent, and the 413 is read.
        http.DefaultRequestHeaders.ExpectContinue = true;
    }

    string Url(string path) => $"http://127.0.0.1:{port}{path}";

    static byte[] Images(int count, int seed)
    {
        var pixels = new byte[count * MnistMlp.Inputs];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    static string Request(byte[] pixels, int count, string id = "r1") => JsonSerializer.Serialize(new
    {
        id,
        inputs = new[] { new { name = "pixels", shape = new[] { count, MnistMlp.Inputs }, datatype = "UINT8", data = pixels.Select(b => (int)b) } },
    });

    async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(string path, string body)
    {
        using var response = await http.PostAsync(Url(path), new StringContent(body, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    async Task<JsonNode> MetadataAsync() => JsonNode.Parse(await http.GetStringAsync(Url("/v2/models/mnist-mlp")))!;

    async Task UntilServingAsync(int version)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((string?)(await MetadataAsync())["edgeai"]!["serving_version"] != version.ToString())
        {
            Assert.False(server!.HasExited, $"the server exited:\n{server.Tail()}");
            Assert.True(DateTime.UtcNow < deadline, $"v{version} was not served within 30 s:\n{server.Tail()}");
            await Task.Delay(100);
        }
    }

    [Theory]
    [InlineData("torch", 1e-6f)]
    [InlineData("onnx", 1e-5f)]   // the exported graph in ONNX Runtime: other kernels, sums in another order
    public async Task An_answer_names_its_version_and_equals_what_the_core_predicts_with_that_version(string runtime, float tolerance)
    {
        using (var model = new MnistMlp(seed: 1))
            store.Save("mnist-mlp", model);
        await StartAsync("--runtime", runtime);
        var pixels = Images(8, seed: 7);
        var (status, body) = await PostAsync("/v2/models/mnist-mlp/infer", Request(pixels, 8));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("mnist-mlp", (string?)body["model_name"]);
        Assert.Equal("1", (string?)body["model_version"]);
        Assert.Equal("r1", (string?)body["id"]);
        var outputs = body["outputs"]!.AsArray();
        var probabilities = outputs.Single(o => (string?)o!["name"] == "probabilities")!;
        Assert.Equal([8, 10], probabilities["shape"]!.AsArray().Select(n => (int)n!));
        var served = probabilities["data"]!.AsArray().Select(n => (float)n!).ToArray();
        var labels = outputs.Single(o => (string?)o!["name"] == "label")!["data"]!.AsArray().Select(n => (int)n!).ToArray();

        using var loaded = store.Load(new ModelRef("mnist-mlp", 1));
        var expected = Evaluator.Probabilities(loaded.Model, pixels, 8);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(Array.IndexOf(expected[i], expected[i].Max()), labels[i]);
            for (var c = 0; c < 10; c++)
                Assert.True(Math.Abs(expected[i][c] - served[i * 10 + c]) <= tolerance, $"image {i} class {c}: {served[i * 10 + c]} served, {expected[i][c]} predicted");
        }
    }

    [Theory]
    [InlineData("torch", 1e-6f)]
    [InlineData("onnx", 1e-5f)]
    public async Task Concurrent_requests_computed_in_shared_batches_each_get_their_own_images_answer(string runtime, float tolerance)
    {
        using (var model = new MnistMlp(seed: 1))
            store.Save("mnist-mlp", model);
        await StartAsync("--runtime", runtime);
        using var loaded = store.Load(new ModelRef("mnist-mlp", 1));
        var requests = Enumerable.Range(0, 96).Select(async i =>
        {
            var pixels = Images(1 + i % 3, seed: 100 + i);
            var count = 1 + i % 3;
            // Half as bytes, half scaled: a batch holds one datatype, and both must come back as the core computes them.
            var body = i % 2 == 0 ? Request(pixels, count, $"r{i}") : JsonSerializer.Serialize(new
            {
                id = $"r{i}",
                inputs = new[] { new { name = "pixels", shape = new[] { count, MnistMlp.Inputs }, datatype = "FP32", data = pixels.Select(b => b / 255f) } },
            });
            var (status, answer) = await PostAsync("/v2/models/mnist-mlp/infer", body);
            return (i, pixels, count, status, answer);
        }).ToArray();
        foreach (var (i, pixels, count, status, answer) in await Task.WhenAll(requests))
        {
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal($"r{i}", (string?)answer["id"]);
            var served = answer["outputs"]!.AsArray().Single(o => (string?)o!["name"] == "probabilities")!["data"]!.AsArray().Select(n => (float)n!).ToArray();
            var expected = Evaluator.Probabilities(loaded.Model, pixels, count);
            Assert.Equal(count * 10, served.Length);
            for (var k = 0; k < count; k++)
                for (var c = 0; c < 10; c++)
                    Assert.True(Math.Abs(expected[k][c] - served[k * 10 + c]) <= tolerance, $"request {i} image {k} class {c}: {served[k * 10 + c]} served, {expected[k][c]} predicted");
        }
        // Every image went through exactly one forward pass.
        var metrics = await http.GetStringAsync(Url("/metrics"));
        var images = Enumerable.Range(0, 96).Sum(i => 1 + i % 3);
        Assert.Matches($@"edgeai_serve_batch_images_sum {images}\b", metrics);
    }

    [Fact]
    public async Task It_follows_latest_forward_and_back_and_refuses_a_corrupt_version_while_the_old_one_serves()
    {
        using (var model = new MnistMlp(seed: 1))
            store.Save("mnist-mlp", model);
        await StartAsync();
        using (var model = new MnistMlp(seed: 2))
            store.Save("mnist-mlp", model);
        await UntilServingAsync(2);
        var (_, answer) = await PostAsync("/v2/models/mnist-mlp/infer", Request(Images(1, 1), 1));
        Assert.Equal("2", (string?)answer["model_version"]);

        store.Promote(new ModelRef("mnist-mlp", 1));   // the rollback edgeai promote does
        await UntilServingAsync(1);

        // A third version whose weights are damaged after publishing: refused, named with its reason; v1 goes on.
        using (var model = new MnistMlp(seed: 3))
            store.Save("mnist-mlp", model);
        var weights = Directory.EnumerateFiles(store.Root, "*.safetensors", SearchOption.AllDirectories).Single(f => f.Contains("/v000003/"));
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(weights, bytes);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonNode metadata;
        while ((metadata = await MetadataAsync())["edgeai"]!["refused"]!.AsArray().Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"v3 was not refused within 30 s:\n{server!.Tail()}");
            await Task.Delay(100);
        }
        var refused = metadata["edgeai"]!["refused"]!.AsArray().Single()!;
        Assert.Equal("3", (string?)refused["version"]);
        Assert.Contains("SHA-256", (string?)refused["reason"]);
        Assert.Equal("1", (string?)metadata["edgeai"]!["serving_version"]);
        (_, answer) = await PostAsync("/v2/models/mnist-mlp/infer", Request(Images(1, 1), 1));
        Assert.Equal("1", (string?)answer["model_version"]);
        var metrics = await http.GetStringAsync(Url("/metrics"));
        Assert.Matches(@"edgeai_serve_refused_versions_total 1\b", metrics);
        Assert.Matches(@"edgeai_serve_swaps_total 2\b", metrics);
    }

    [Fact]
    public async Task Every_model_path_needs_the_token_and_the_health_checks_do_not()
    {
        using (var model = new MnistMlp(seed: 1))
            store.Save("mnist-mlp", model);
        await StartAsync();
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(Url("/v2/health/ready"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(Url("/v2/health/live"))).StatusCode);
        foreach (var path in new[] { "/v2/models/mnist-mlp", "/metrics", "/v2" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Url(path))).StatusCode);
        var infer = await anonymous.PostAsync(Url("/v2/models/mnist-mlp/infer"), new StringContent(Request(Images(1, 1), 1)));
        Assert.Equal(HttpStatusCode.Unauthorized, infer.StatusCode);
        Assert.Contains("Authorization: Bearer", await infer.Content.ReadAsStringAsync());
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Url("/v2/models/mnist-mlp"))).StatusCode);
    }

    [Fact]
    public async Task Bad_requests_get_the_protocols_error_body_with_a_4xx_and_the_server_goes_on()
    {
        using (var model = new MnistMlp(seed: 1))
            store.Save("mnist-mlp", model);
        await StartAsync("--max-body", "100000");
        var cases = new (string Path, string Body, HttpStatusCode Status, string Message)[]
        {
            ("/v2/models/mnist-mlp/infer", "{not json", HttpStatusCode.BadRequest, "not valid JSON"),
            ("/v2/models/mnist-mlp/infer", """{"inputs":[{"name":"pixels","shape":[1,784],"datatype":"FP64","data":[0]}]}""", HttpStatusCode.BadRequest, "Datatype \"FP64\""),
            ("/v2/models/mnist-mlp/infer", """{"inputs":[{"name":"pixels","shape":[1,783],"datatype":"UINT8","data":[0]}]}""", HttpStatusCode.BadRequest, "Shape [1, 783]"),
            ("/v2/models/mnist-mlp/infer", """{"inputs":[{"name":"pixels","shape":[1,784],"datatype":"UINT8","data":[1,2]}]}""", HttpStatusCode.BadRequest, "holds 2 values; shape [1, 784] needs 784"),
            ("/v2/models/mnist-mlp/infer", """{"inputs":[{"name":"pixels","shape":[1,784],"datatype":"FP32","data":[1.5]}]}""", HttpStatusCode.BadRequest, "FP32 pixel 0 is 1.5"),
            ("/v2/models/mnist-mlp/infer", """{"inputs":[{"name":"pixels","shape":[1,784],"datatype":"FP32","data":["NaN"]}]}""", HttpStatusCode.BadRequest, "numbers only"),
            ("/v2/models/mnist-mlp/infer", """{"inputs":[{"name":"pixels","shape":[100000,784],"datatype":"UINT8","data":[]}]}""", HttpStatusCode.BadRequest, "1-256 a request"),
            ("/v2/models/other/infer", Request(Images(1, 1), 1), HttpStatusCode.NotFound, "serves 'mnist-mlp'"),
            ("/v2/models/Bad..Name/infer", Request(Images(1, 1), 1), HttpStatusCode.BadRequest, "is not allowed"),
            ("/v2/models/mnist-mlp/versions/9/infer", Request(Images(1, 1), 1), HttpStatusCode.NotFound, "no version 9"),
            ("/v2/models/mnist-mlp/versions/x/infer", Request(Images(1, 1), 1), HttpStatusCode.BadRequest, "Version 'x' is not valid"),
            ("/v2/models/mnist-mlp/infer", Request(Images(200, 1), 200), HttpStatusCode.RequestEntityTooLarge, "at most 100000"),
            ("/v2/models/mnist-mlp/infer/png", "not a png", HttpStatusCode.BadRequest, "not a PNG"),
        };
        foreach (var (path, body, status, message) in cases)
        {
            var (actual, answer) = await PostAsync(path, body);
            Assert.True(actual == status, $"{path} {body[..Math.Min(80, body.Length)]}: {actual}, expected {status}: {answer}");
            Assert.Contains(message, (string?)answer["error"]);
        }
        var (ok, last) = await PostAsync("/v2/models/mnist-mlp/versions/1/infer", Request(Images(1, 1), 1));
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("1", (string?)last["model_version"]);
    }

    [Theory]
    [InlineData("--no-auth --host 0.0.0.0", "--no-auth serves without a token, so only on loopback")]
    [InlineData("--port 70000", "--port 70000 is outside 1-65535")]
    [InlineData("--runtime tensorrt", "--runtime 'tensorrt' is not known: use torch or onnx")]
    [InlineData("--max-batch 0", "--max-batch 0 is outside 1-4096")]
    [InlineData("--model Bad/Name", "Model name 'Bad/Name' is not allowed")]
    public void A_bad_option_is_named_and_exits_2_before_anything_listens(string arguments, string message)
    {
        var info = Processes.Info("dotnet", [Cli, "serve", "--store", store.Root, .. arguments.Split(' ')]);
        info.Environment.Remove("EDGEAI_SERVE_TOKEN");
        var result = Processes.Execute(info, TimeSpan.FromMinutes(1));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Output);
    }
}
