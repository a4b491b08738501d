using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeAi.Core.Evaluation;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using TorchSharp;

namespace EdgeAi.Core.Tests.Serving;

/// <summary>
/// `edgeai serve` fed 10,000 mutated requests over 4 concurrent connections: valid Open Inference Protocol infer
/// bodies with flipped, cut or inserted bytes, wrong datatypes and shapes, NaN, infinities and out-of-range numbers,
/// deep nesting, long arrays, other content types, bad model names, versions and paths (traversal included), other
/// methods, bodies over --max-body (with a length and chunked), missing or wrong tokens, headers over the limit,
/// damaged PNGs, and the data array written in the many ways JSON allows and some it does not. Request i is made from
/// a Random seeded with i, so a failure names a request that can be made again. Every answer must be the status its
/// kind of request gets (never a 500); every refusal the server's code writes is the protocol's {"error": "..."}; a
/// data array is accepted exactly when System.Text.Json's document model reads a valid request from it, and answered
/// with the probabilities of the pixels that model reads. The process lives, still answers a valid request as the core
/// predicts, and its resident memory stays bounded.
/// </summary>
[Trait("Needs", "cli-build")]
public sealed class ServeFuzzTests : IDisposable
{
    static readonly string Cli = typeof(ServeFuzzTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
    const string Token = "serve-fuzz-token-0123456789";
    const string Name = "mnist-mlp";
    const int Requests = 10_000, Connections = 4, Seed = 20_261_203;
    const int MaxBody = 100_000;   // --max-body: small, so bodies over it are cheap to send
    const int MaxHeaders = 16 << 10;   // the server's Kestrel limit on a request's headers
    readonly TempDirectory temp = new();
    readonly WeightStore store;
    RunningProcess? server;
    LoadedModel? reference;   // v1, for what an accepted body's pixels must give
    int port;

    public ServeFuzzTests() => store = new WeightStore(temp.Combine("books"));

    public void Dispose()
    {
        if (server is { HasExited: false })
            Process.GetProcessById(server.Id).Kill(entireProcessTree: true);
        server?.Dispose();
        reference?.Dispose();
        temp.Dispose();
    }

    /// <summary>One request to send, what it is (its kind names the mutation), and the statuses it may get.</summary>
    /// <param name="Expected">for a body the reference reading accepts: its pixels in [0,1], whose probabilities the answer must hold.</param>
    sealed record Case(int Index, string Kind, HttpMethod Method, string Path, byte[]? Body, string? ContentType, string? Authorization,
                       bool Chunked, int[] Allowed, float[]? Expected = null)
    {
        public string Describe() => $"request {Index} ({Kind}): {Method} {Path}, auth '{Short(Authorization ?? "(none)")}', " +
                                    $"content type {ContentType ?? "(none)"}, {(Body is null ? "no body" : $"{Body.Length} bytes{(Chunked ? " chunked" : "")}: {Short(Encoding.UTF8.GetString(Body))}")}";

        static string Short(string text) => text.Length <= 160 ? text : text[..160] + $"... ({text.Length} characters)";
    }

    static readonly int[] Ok = [200], Bad = [400], OkOrBad = [200, 400], Unauthorized = [401], TooLarge = [413];

    // Valid bodies: 1-4 images, UINT8 or FP32, flat or nested as any of the accepted shapes.
    static string ValidBody(Random random, string? datatype = null, string? shape = null, string? data = null)
    {
        var count = random.Next(1, 5);
        var fp32 = datatype is null ? random.Next(2) == 0 : datatype == "\"FP32\"";
        var form = random.Next(3);
        var images = new List<string>();
        for (var image = 0; image < count; image++)
        {
            var pixels = new byte[MnistMlp.Inputs];
            random.NextBytes(pixels);
            var values = pixels.Select(p => fp32 ? (p / 255f).ToString("R", CultureInfo.InvariantCulture) : p.ToString(CultureInfo.InvariantCulture)).ToArray();
            images.Add(form == 0 ? string.Join(',', values)
                : "[" + string.Join(',', values.Chunk(28).Select(row => "[" + string.Join(',', row) + "]")) + "]");
        }
        var all = string.Join(',', form == 2 ? images.Select(i => "[" + i + "]") : images);
        shape ??= form switch { 0 => $"[{count},784]", 1 => $"[{count},28,28]", _ => $"[{count},1,28,28]" };
        var id = random.Next(4) == 0 ? "" : $"\"id\":\"fuzz-{random.Next()}\",";
        var outputs = random.Next(4) switch { 0 => ",\"outputs\":[{\"name\":\"label\"}]", 1 => ",\"parameters\":{\"binary_data_output\":false}", _ => "" };
        return $"{{{id}\"inputs\":[{{\"name\":\"pixels\",\"shape\":{shape},\"datatype\":{datatype ?? (fp32 ? "\"FP32\"" : "\"UINT8\"")},\"data\":[{data ?? all}]}}]{outputs}}}";
    }

    static readonly string[] BadDatatypes = ["\"FP64\"", "\"FP16\"", "\"INT8\"", "\"INT64\"", "\"BYTES\"", "\"BOOL\"", "\"uint8\"", "\"fp32\"", "\"\"", "\"UINT8 \"",
                                             "null", "8", "true", "[\"UINT8\"]", "{\"t\":\"FP32\"}", "\"\\u0000UINT8\""];
    static readonly string[] BadShapes = ["[784]", "[1,783]", "[1,785]", "[0,784]", "[-1,784]", "[257,784]", "[2147483648,784]", "[9223372036854775807,784]",
                                          "[1,784,1]", "[1,28,27]", "[1,2,28,28]", "[1,1,28,28,1]", "[]", "[1.5,784]", "[\"1\",784]", "[1,784.0]", "null", "\"[1,784]\"",
                                          "{\"0\":1}", "[1e3,784]", "[[1],784]", "[-9223372036854775808,784]", "[99999999999999999999,784]"];
    static readonly string[] BadNumbers = ["NaN", "Infinity", "-Infinity", "\"NaN\"", "\"Infinity\"", "1e309", "-1e309", "1e-400", "-1", "256", "1.5", "-0.5", "\"7\"",
                                           "null", "true", "false", "99999999999999999999999", "-99999999999999999999999", "1e2", "0x10", "+1", "01", ".5", "1.", "-",
                                           "1E400", "4294967296", "2147483648", "-2147483649", "{}", "[]", "1e-5", "-0", "0.0"];
    static readonly string[] Methods = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "FUZZ"];
    static readonly string[] Paths =
    [
        "/v2/models/..%2F..%2Fetc%2Fpasswd/infer", "/v2/models/..%2Fmnist-mlp/infer", "/v2/models/%2E%2E/infer", "/v2/models/mnist-mlp%2F..%2F..%2Fx/infer",
        "/v2/models/mnist-mlp/versions/..%2F..%2Fv000001/infer", "/v2/models/mnist-mlp/versions/1%2F..%2F2/infer", "/v2/models/%2e%2e%2f%2e%2e%2fbooks/infer",
        "/v2/models/other/infer", "/v2/models/Mnist-MLP/infer", "/v2/models/mnist-mlp2/infer", "/v2/models/mnist-mlp%00/infer", "/v2/models/%00/infer",
        "/v2/models/mnist%20mlp/infer", "/v2/models/mnist-mlp%FF/infer", "/v2/models/%C0%AE%C0%AE/infer", "/v2/models/Bad..Name/infer", "/v2/models/-/infer",
        "/v2/models/a%5Cb/infer", "/v2/models/mnist-mlp/versions/0/infer", "/v2/models/mnist-mlp/versions/-1/infer", "/v2/models/mnist-mlp/versions/2/infer",
        "/v2/models/mnist-mlp/versions/999999999/infer", "/v2/models/mnist-mlp/versions/1000000000/infer", "/v2/models/mnist-mlp/versions/99999999999999999999/infer",
        "/v2/models/mnist-mlp/versions/x/infer", "/v2/models/mnist-mlp/versions/v/infer", "/v2/models/mnist-mlp/versions/1.0/infer", "/v2/models/mnist-mlp/versions/%201/infer",
        "/v2/models/mnist-mlp/versions/+1/infer", "/v2/models/mnist-mlp/versions/0x1/infer", "/v2/models/mnist-mlp/versions/latest/infer",
        "/v2/models/mnist-mlp/infer/", "/v2/models/mnist-mlp/infer/x", "/v2/models/mnist-mlp/infer.json", "/v2/models/mnist-mlp/infer%2Fpng",
        "/v2/models/mnist-mlp//infer", "/v2/models//infer", "/v2//models/mnist-mlp/infer", "/v3/models/mnist-mlp/infer", "/V2/MODELS/MNIST-MLP/INFER",
        "/etc/passwd", "/v2/models/mnist-mlp/infer?x=%00", "/.env", "/v2/health/..%2F..%2Fmetrics", "/v2/models/" + new string('a', 300) + "/infer",
        "/v2/models/mnist-mlp/versions/" + new string('9', 300) + "/infer", "/" + string.Concat(Enumerable.Repeat("a/", 1500)),
    ];

    const string Jsonish = "{}[]\",:0123456789-+.eE \\u\t\nnulltruefalseNaN";

    /// <summary>What a bad path gets: Kestrel refuses a NUL in the path (400) before routing; a trailing slash or a
    /// query is still the infer path; the rest is a bad model name or version (400) or no such path, model or version (404).</summary>
    static int[] PathStatuses(string path, HttpMethod method) =>
        path.Contains("%00", StringComparison.Ordinal) && !path.Contains('?', StringComparison.Ordinal) ? Bad
        : method != HttpMethod.Post ? [404]
        : path is "/v2/models/" + Name + "/infer/" or "/v2/models/" + Name + "/infer?x=%00" ? Ok
        : [400, 404];

    static Case Make(int index)
    {
        var random = new Random(Seed + index);
        var auth = "Bearer " + Token;
        const string infer = "/v2/models/" + Name + "/infer";
        var roll = random.Next(1000);
        string body;
        switch (roll)
        {
            case < 60:
                body = ValidBody(random);
                return new Case(index, "valid", HttpMethod.Post, random.Next(2) == 0 ? infer : $"/v2/models/{Name}/versions/{(random.Next(2) == 0 ? "1" : "v1")}/infer",
                                Encoding.UTF8.GetBytes(body), "application/json", auth, random.Next(10) == 0, Ok);
            case < 130:
                return DataSyntax(index, random, infer, auth);
            case < 200:
                {
                    var bytes = Encoding.UTF8.GetBytes(ValidBody(random));
                    for (int n = random.Next(1, 9), k = 0; k < n; k++)
                        bytes[random.Next(bytes.Length)] = random.Next(3) == 0 ? (byte)random.Next(256) : (byte)(bytes[random.Next(bytes.Length)] ^ (1 << random.Next(8)));
                    return new Case(index, "byte flips", HttpMethod.Post, infer, bytes, "application/json", auth, false, OkOrBad);
                }
            case < 300:
                {
                    var bytes = Encoding.UTF8.GetBytes(ValidBody(random));
                    return new Case(index, "truncated", HttpMethod.Post, infer, bytes[..random.Next(bytes.Length)], "application/json", auth, random.Next(10) == 0, Bad);
                }
            case < 380:
                {
                    var bytes = Encoding.UTF8.GetBytes(ValidBody(random)).ToList();
                    var garbage = new byte[random.Next(1, 64)];
                    random.NextBytes(garbage);
                    if (random.Next(2) == 0)   // printable garbage, JSON's own punctuation among it
                        for (var k = 0; k < garbage.Length; k++)
                            garbage[k] = (byte)Jsonish[random.Next(Jsonish.Length)];
                    bytes.InsertRange(random.Next(bytes.Count + 1), garbage);
                    return new Case(index, "inserted garbage", HttpMethod.Post, infer, [.. bytes], "application/json", auth, false, OkOrBad);
                }
            case < 430:
                body = ValidBody(random, datatype: BadDatatypes[random.Next(BadDatatypes.Length)]);
                return new Case(index, "wrong datatype", HttpMethod.Post, infer, Encoding.UTF8.GetBytes(body), "application/json", auth, false, Bad);
            case < 480:
                body = ValidBody(random, shape: BadShapes[random.Next(BadShapes.Length)]);
                return new Case(index, "wrong shape", HttpMethod.Post, infer, Encoding.UTF8.GetBytes(body), "application/json", auth, false, Bad);
            case < 560:
                {
                    // One pixel replaced by NaN, an infinity, a huge or out-of-range number, or not a number at all. Some
                    // are valid for one datatype: -0 and 0.0 are 0, 1e-400 and 1e-5 are FP32 pixels in [0, 1].
                    body = ValidBody(random);
                    var fp32 = body.Contains("\"FP32\"", StringComparison.Ordinal);
                    var number = BadNumbers[random.Next(BadNumbers.Length)];
                    var start = body.IndexOf("\"data\":[", StringComparison.Ordinal) + 8;
                    var spots = Regex.Matches(body[start..], @"-?[0-9][0-9.eE+-]*").ToList();
                    var spot = spots[random.Next(spots.Count)];
                    body = body[..(start + spot.Index)] + number + body[(start + spot.Index + spot.Length)..];
                    var valid = number is "-0" || (fp32 && number is "1e-400" or "1e-5" or "0.0");
                    return new Case(index, "bad number", HttpMethod.Post, infer, Encoding.UTF8.GetBytes(body), "application/json", auth, false, valid ? Ok : Bad);
                }
            case < 600:
                {
                    // Nesting past the reader's depth of 16, in the data or in a member the server skips.
                    var depth = random.Next(17, 30_000);
                    var nested = new string('[', depth) + "0" + new string(']', depth);
                    body = random.Next(2) == 0
                        ? ValidBody(random, datatype: "\"UINT8\"", shape: "[1,784]", data: nested)
                        : ValidBody(random).Insert(1, $"\"parameters\":{nested},");
                    return new Case(index, "deep nesting", HttpMethod.Post, infer, Encoding.UTF8.GetBytes(body), "application/json", auth, false, Bad);
                }
            case < 640:
                {
                    var values = random.Next(785, 40_000);
                    body = ValidBody(random, datatype: "\"UINT8\"", shape: "[1,784]", data: string.Join(',', Enumerable.Repeat("7", values)));
                    return new Case(index, "long array", HttpMethod.Post, infer, Encoding.UTF8.GetBytes(body), "application/json", auth, false, Bad);
                }
            case < 680:
                {
                    // The server reads the body as JSON whatever its type says (no 415): valid JSON under another type is answered.
                    string[] types = ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "image/png",
                                  "application/json; charset=utf-16", "application/octet-stream", "*/*", "garbage", ";;;", "application/json, text/plain"];
                    body = ValidBody(random);
                    return new Case(index, "content type", HttpMethod.Post, infer, Encoding.UTF8.GetBytes(body),
                                    random.Next(8) == 0 ? null : types[random.Next(types.Length)], auth, false, Ok);
                }
            case < 760:
                {
                    var path = Paths[random.Next(Paths.Length)];
                    body = ValidBody(random);
                    var method = random.Next(4) == 0 ? HttpMethod.Get : HttpMethod.Post;
                    return new Case(index, "bad path", method, path, Encoding.UTF8.GetBytes(body), "application/json", auth, false, PathStatuses(path, method));
                }
            case < 800:
                {
                    string[] paths = [infer, $"/v2/models/{Name}", $"/v2/models/{Name}/infer/png", $"/v2/models/{Name}/versions/1/infer", "/v2", "/metrics", "/v2/health/ready"];
                    var method = new HttpMethod(Methods[random.Next(Methods.Length)]);
                    var path = paths[random.Next(paths.Length)];
                    var get = path is not (infer or $"/v2/models/{Name}/infer/png" or $"/v2/models/{Name}/versions/1/infer");
                    if (get)   // a path that answers GET gets POST or another method
                        method = random.Next(2) == 0 ? HttpMethod.Post : method == HttpMethod.Get ? HttpMethod.Delete : method;
                    body = ValidBody(random);
                    // No path answers 405: the fallback that names an unknown path answers every method the routes do not (404),
                    // and prometheus-net's /metrics answers every method.
                    return new Case(index, "wrong method", method, path, random.Next(2) == 0 ? Encoding.UTF8.GetBytes(body) : null, "application/json", auth, false,
                                    path == "/metrics" ? Ok : [404]);
                }
            case < 840:
                {
                    // With a length, the server refuses before reading (the client, waiting for 100 Continue, never sends the body).
                    // Chunked, it reads up to the limit, answers 413 and closes: just over it, so that what the client is still
                    // sending when the server closes is small.
                    var chunked = random.Next(2) == 0;
                    var size = random.Next(MaxBody + 1, chunked ? MaxBody + 8192 : 4 * MaxBody);
                    var bytes = new byte[size];
                    var valid = Encoding.UTF8.GetBytes(ValidBody(random));
                    valid.CopyTo(bytes, 0);
                    bytes.AsSpan(valid.Length).Fill((byte)' ');
                    return new Case(index, "over --max-body", HttpMethod.Post, random.Next(4) == 0 ? $"/v2/models/{Name}/infer/png" : infer, bytes,
                                    "application/json", auth, chunked, TooLarge);
                }
            case < 900:
                {
                    string[] tokens = ["", "Bearer", "Bearer ", "Bearer  " + Token, "bearer " + Token, "BEARER " + Token, "Basic " + Token, Token, "Bearer " + Token + "x",
                                   "Bearer " + Token[..^1], "Bearer " + Token.ToUpperInvariant(), "Bearer " + new string('a', Token.Length),
                                   "Bearer " + new string('x', 8000), "Bearer " + Token + " " + Token, "Bearer\t" + Token, "Token " + Token];
                    var token = tokens[random.Next(tokens.Length)];
                    string[] paths = [infer, $"/v2/models/{Name}", "/metrics", "/v2", $"/v2/models/{Name}/versions/1/infer", "/v2/models/other/infer", "/nowhere"];
                    var path = paths[random.Next(paths.Length)];
                    body = ValidBody(random);
                    var post = path.EndsWith("/infer", StringComparison.Ordinal);
                    return new Case(index, "bad token", post ? HttpMethod.Post : HttpMethod.Get, path, post ? Encoding.UTF8.GetBytes(body) : null,
                                    "application/json", random.Next(5) == 0 ? null : token, false, Unauthorized);
                }
            case < 910:
                // Headers over the server's 16 KiB: Kestrel refuses them itself, before any of the server's code runs.
                return new Case(index, "headers over 16 KiB", HttpMethod.Post, infer, Encoding.UTF8.GetBytes(ValidBody(random)), "application/json",
                                "Bearer " + Token + new string('x', MaxHeaders + random.Next(1000)), false, [431]);
            case < 970:
                {
                    var png = Png(random, out var valid);
                    return new Case(index, valid ? "png" : "damaged png", HttpMethod.Post, $"/v2/models/{Name}/infer/png{(random.Next(3) == 0 ? "?invert=" + (random.Next(2) == 0 ? "true" : "maybe") : "")}",
                                    png, "image/png", auth, false, OkOrBad);   // the decoder skips CRCs: a flipped byte may still decode
                }
            default:
                {
                    // The request's structure: what is missing, doubled, of the wrong kind, or not UTF-8.
                    var valid = ValidBody(random);
                    (string Body, int[] Allowed)[] bodies =
                    [
                        ("", Bad), ("null", Bad), ("[]", Bad), ("{}", Bad), ("\"x\"", Bad), ("0", Bad), ("{\"inputs\":null}", Bad), ("{\"inputs\":[]}", Bad),
                    ("{\"inputs\":{}}", Bad), ("{\"inputs\":[1]}", Bad), ("{\"inputs\":[{}]}", Bad),
                    ("{\"inputs\":[{\"name\":\"x\",\"shape\":[1,784],\"datatype\":\"UINT8\",\"data\":[]}]}", Bad),
                    ("{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,784],\"datatype\":\"UINT8\"}]}", Bad),
                    ("{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,784],\"datatype\":\"UINT8\",\"data\":\"AAAA\"}]}", Bad),
                    ("{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,784],\"datatype\":\"UINT8\",\"data\":5}]}", Bad),
                    ("{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,784],\"datatype\":\"UINT8\",\"data\":[0]}] /* comment */}", Bad),
                    ("{'inputs':[]}", Bad), ("{\"inputs\":[{\"name\":\"pix\u00e9ls\"}]}", Bad),
                    (valid + valid, Bad), (valid + " ", Ok), (" \t\r\n" + valid, Ok), ("\uFEFF" + valid, Bad),
                    (valid.Insert(1, "\"inputs\":[],"), Bad), (valid.Insert(1, "\"x\":[" + valid + "],"), Ok),
                    ("{\"id\":\"" + new string('i', 257) + "\"," + valid[1..], Bad), ("{\"id\":\"\\uD800\"," + valid[1..], Bad),
                    ("{\"id\":\"\\uDC00\\uD800\"," + valid[1..], Bad), ("{\"id\":5," + valid[1..], Bad), ("{\"id\":null," + valid[1..], Bad),
                    ("{\"outputs\":[{\"name\":\"logits\"}]," + valid[1..], Bad), ("{\"outputs\":{}," + valid[1..], Bad), ("{\"outputs\":[1]," + valid[1..], Bad),
                    (valid.Replace("\"name\":\"pixels\",", "\"name\":\"pixels\",\"name\":\"pixels\",", StringComparison.Ordinal), Bad),
                    (valid.Replace("\"inputs\":[{", "\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,784],\"datatype\":\"UINT8\",\"data\":[0]},{", StringComparison.Ordinal), Bad),
                ];
                    var (text, allowed) = bodies[random.Next(bodies.Length)];
                    var bytes = Encoding.UTF8.GetBytes(text);
                    if (random.Next(6) == 0 && bytes.Length > 4 && allowed == Bad)   // and invalid UTF-8 inside: still refused
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(0x80, 0x100);
                    return new Case(index, "structure", HttpMethod.Post, infer, bytes, "application/json", auth, false, allowed);
                }
        }
    }

    static readonly string[] OtherBytes = ["-0", "0", "255", "256", "007", "00", "7.0", "7e0", "1e2", "-1", "1000", "0.0", "+7", ".", "-", "1e", "1.e1", "0x7",
                                          "99999999999", "1E1", "2147483648", "-2147483649", "\"7\"", "null", "[]", "[7]", "[[]]"];
    static readonly string[] OtherUnits = ["-0", "-0.0", "0", "1", "1.0", "1e0", "10e-1", "0.05e1", "1.0000001", "-1e-400", "1e-400", "0.", "0.5.5", ".5", "00.5",
                                          "1E+0", "0.1e-0", "2", "-0.5", "0.99999999999999999999999999999", "1.00000000000000000000000001", "5e-324", "1e-46",
                                          "0.000000000000000000000000000000000000000000001", "9007199254740993e-16", "1e", "1e+", "--0", "NaN", "\"0.5\"", "[0.5]", "[]"];

    /// <summary>The data array written in the many ways JSON allows and a few it does not: whitespace anywhere, each
    /// 28 pixels nested or not, empty arrays, extra nesting up to and past the reader's depth of 16, floats as the
    /// shortest round trip, as 17 digits or with an exponent, and a few values replaced; the data before or after
    /// the other members. Its expected status and pixels come from System.Text.Json's document model.</summary>
    static Case DataSyntax(int index, Random random, string infer, string auth)
    {
        var fp32 = random.Next(2) == 0;
        var count = random.Next(1, 3);
        var pixels = new byte[count * MnistMlp.Inputs];
        random.NextBytes(pixels);
        var replaced = Enumerable.Range(0, random.Next(4)).Select(_ => random.Next(pixels.Length)).ToHashSet();
        var format = random.Next(4);
        string Space() => random.Next(20) == 0 ? new[] { " ", "\t", "\n", "\r\n", "  " }[random.Next(5)] : "";
        var data = new StringBuilder();
        var extra = random.Next(10) == 0 ? random.Next(8, 16) : random.Next(0, 3);   // containers around data: 4 + extra; at most 16 are read
        var rows = random.Next(2) == 0;
        var separator = random.Next(50) == 0 ? ",," : ",";
        data.Append(new string('[', extra + 1));
        for (var i = 0; i < pixels.Length; i++)
        {
            if (i > 0)
                data.Append(Space()).Append(rows && i % 28 == 0 ? "]," + Space() + "[" : i == 17 ? separator : ",").Append(Space());
            else if (rows)
                data.Append('[');
            if (random.Next(200) == 0)
                data.Append("[],");
            data.Append(replaced.Contains(i) ? (fp32 ? OtherUnits : OtherBytes)[random.Next(fp32 ? OtherUnits.Length : OtherBytes.Length)]
                : !fp32 ? pixels[i].ToString(CultureInfo.InvariantCulture)
                : format switch
                {
                    0 => (pixels[i] / 255f).ToString("R", CultureInfo.InvariantCulture),
                    1 => (pixels[i] / 255.0).ToString("G17", CultureInfo.InvariantCulture),
                    2 => (pixels[i] / 255f).ToString("E7", CultureInfo.InvariantCulture),
                    _ => (pixels[i] / 255f).ToString("F3", CultureInfo.InvariantCulture),
                });
        }
        if (rows)
            data.Append(']');
        if (random.Next(50) == 0)
            data.Append(',');   // a trailing comma
        data.Append(new string(']', extra + 1));
        var datatype = fp32 ? "FP32" : "UINT8";
        var members = new List<string> { "\"name\":\"pixels\"", $"\"shape\":[{count},784]", $"\"datatype\":\"{datatype}\"", $"\"data\":{Space()}{data}{Space()}" };
        if (random.Next(2) == 0)   // the data first: the members after it are read by the reader that takes over past it
            members.Insert(0, members[3]);
        members = members.Distinct().ToList();
        var body = Encoding.UTF8.GetBytes($"{{\"inputs\":[{{{string.Join(',', members)}}}]{(random.Next(2) == 0 ? $",\"id\":\"syntax-{index}\"" : "")}" +
                                          $"{(random.Next(3) == 0 ? ",\"outputs\":[{\"name\":\"probabilities\"},{\"name\":\"label\"}]" : "")}}}");
        var expected = Reference(body, fp32, count * MnistMlp.Inputs);
        return new Case(index, "data syntax", HttpMethod.Post, infer, body, "application/json", auth, false, expected is null ? Bad : Ok, expected);
    }

    /// <summary>The pixels (in [0,1]) that System.Text.Json's document model reads from the body's data, if it is a
    /// valid request: the document within the server's depth of 16, numbers only, as many as the shape says, each
    /// in range for its datatype (UINT8: TryGetInt32 0-255; FP32: TryGetDouble in [0, 1]); else null.</summary>
    static float[]? Reference(byte[] body, bool fp32, int expected)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
            var values = new float[expected];
            var n = 0;
            bool Walk(JsonElement element)
            {
                switch (element.ValueKind)
                {
                    case JsonValueKind.Array:
                        return element.EnumerateArray().All(Walk);
                    case JsonValueKind.Number when n < expected:
                        if (fp32 ? !element.TryGetDouble(out var unit) || !(unit is >= 0 and <= 1) : !element.TryGetInt32(out var whole) || whole is < 0 or > 255)
                            return false;
                        values[n++] = fp32 ? (float)element.GetDouble() : element.GetInt32() / 255f;
                        return true;
                    default:
                        return false;
                }
            }
            return Walk(document.RootElement.GetProperty("inputs")[0].GetProperty("data")) && n == expected ? values : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A real grey PNG of random size and pixels, and in 2 of 3 a damaged one: a flipped byte, cut short, a
    /// header that claims another size, or only the signature.</summary>
    static byte[] Png(Random random, out bool valid)
    {
        int width = random.Next(1, 64), height = random.Next(1, 64);
        var raw = new byte[(width + 1) * height];
        random.NextBytes(raw);
        for (var y = 0; y < height; y++)
            raw[y * (width + 1)] = (byte)random.Next(5);   // the row's filter: none, sub, up, average, Paeth
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            zlib.Write(raw);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;   // bit depth; colour type 0 (grey), deflate, filter 0, no interlace
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        var bytes = png.ToArray();
        valid = random.Next(3) == 0;
        if (valid)
            return bytes;
        switch (random.Next(5))
        {
            case 0:
                for (int n = random.Next(1, 6), k = 0; k < n; k++)
                    bytes[random.Next(8, bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length - 12)];   // before IEND
            case 2:
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16 + 4 * random.Next(2)), random.Next(2) == 0 ? random.Next(64, 4097) : random.Next(int.MinValue, 0));
                return bytes;
            case 3:
                return bytes[..random.Next(8, 40)];
            default:
                bytes[25] = (byte)random.Next(1, 256);   // colour type
                bytes[24] = (byte)random.Next(256);      // bit depth
                return bytes;
        }
    }

    static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    static long ResidentKiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    HttpRequestMessage Message(Case c)
    {
        var request = new HttpRequestMessage(c.Method, $"http://127.0.0.1:{port}{c.Path}");
        if (c.Authorization is not null)
            Assert.True(request.Headers.TryAddWithoutValidation("Authorization", c.Authorization), c.Describe());
        if (c.Body is not null)
        {
            HttpContent content = c.Chunked ? new StreamContent(new UnseekableStream(c.Body)) : new ByteArrayContent(c.Body);
            if (c.ContentType is not null)
                Assert.True(content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType), c.Describe());
            request.Content = content;
            // As curl does for a large body: a body refused before it is read is then never sent, and the answer is read.
            request.Headers.ExpectContinue = c.Body.Length > 16 << 10;
        }
        return request;
    }

    /// <summary>A body of unknown length, so HttpClient sends it chunked.</summary>
    sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task Ten_thousand_mutated_requests_get_the_status_their_kind_gets_with_the_error_body_and_the_server_lives_with_bounded_memory()
    {
        var clock = Stopwatch.StartNew();
        using (var model = new MnistMlp(seed: 1))
            store.Save(Name, model);
        reference = store.Load(new ModelRef(Name, 1));
        port = Ports.Free();
        var info = Processes.Info("dotnet", [Cli, "serve", "--store", store.Root, "--port", port.ToString(CultureInfo.InvariantCulture), "--max-body", MaxBody.ToString(CultureInfo.InvariantCulture)]);
        info.Environment["EDGEAI_SERVE_TOKEN"] = Token;
        server = RunningProcess.Start(info, "edgeai serve");
        await server.WaitForLineAsync(new Regex("^serving "), TimeSpan.FromMinutes(1), "serve v1");

        var clients = Enumerable.Range(0, Connections).Select(_ => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, AllowAutoRedirect = false, Expect100ContinueTimeout = TimeSpan.FromSeconds(30) })
        { Timeout = TimeSpan.FromSeconds(30) }).ToArray();
        try
        {
            // Warm up (the first requests JIT the server's paths), then read the resident size the fuzzing starts from.
            for (var i = 0; i < 500; i++)
                await SendAsync(clients[i % Connections], Make(-1 - i));
            var before = ResidentKiB(server.Id);

            var statuses = new Dictionary<(string Kind, int Status, bool ErrorBody), int>();
            var failures = new List<string>();
            long peak = before;
            var next = -1;
            var halfway = 0L;   // VmRSS when request 5,000 was taken
            var sampling = Task.Run(async () =>
            {
                while (Volatile.Read(ref next) < Requests && !server.HasExited)
                {
                    var resident = ResidentKiB(server.Id);
                    peak = Math.Max(peak, resident);
                    if (halfway == 0 && Volatile.Read(ref next) >= Requests / 2)
                        halfway = resident;
                    await Task.Delay(20);
                }
            });
            var fuzzClock = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(client => Task.Run(async () =>
            {
                for (int i; (i = Interlocked.Increment(ref next)) < Requests;)
                {
                    var c = Make(i);
                    var (status, errorBody, problem) = await SendAsync(client, c);
                    lock (statuses)
                    {
                        statuses[(c.Kind, status, errorBody)] = statuses.GetValueOrDefault((c.Kind, status, errorBody)) + 1;
                        if (problem is not null && failures.Count < 20)
                            failures.Add(problem);
                    }
                    if (server.HasExited)
                        throw new Xunit.Sdk.XunitException($"the server exited at {c.Describe()}:\n{server.Tail()}");
                }
            })));
            var fuzzing = fuzzClock.Elapsed;
            await sampling;
            var after = ResidentKiB(server.Id);
            Assert.False(server.HasExited, $"the server exited:\n{server.Tail()}");

            var byStatus = statuses.GroupBy(p => p.Key.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Sum(p => p.Value)}");
            var byKind = statuses.GroupBy(p => p.Key.Kind).OrderBy(g => g.Key)
                .Select(g => $"{g.Key}: " + string.Join(" ", g.GroupBy(p => p.Key.Status).OrderBy(s => s.Key).Select(s => $"{s.Key}x{s.Sum(p => p.Value)}")));
            Report.Line("serve fuzz", $"{Requests} requests over {Connections} connections in {fuzzing.TotalSeconds:F1} s; statuses: {string.Join(", ", byStatus)}");
            Report.Line("serve fuzz", "by kind: " + string.Join("; ", byKind));
            Assert.True(failures.Count == 0, $"{failures.Count} wrong answers (the first 20):\n{string.Join('\n', failures)}\nserver:\n{server.Tail()}");
            Assert.Equal(Requests, statuses.Values.Sum());
            Assert.DoesNotContain("error on ", server.Output);   // what the server logs for an answer of 500

            // Still answers, as the core predicts for v1.
            var pixels = new byte[3 * MnistMlp.Inputs];
            new Random(Seed).NextBytes(pixels);
            var valid = $"{{\"id\":\"after\",\"inputs\":[{{\"name\":\"pixels\",\"shape\":[3,784],\"datatype\":\"UINT8\",\"data\":[{string.Join(',', pixels)}]}}]}}";
            using var check = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/v2/models/{Name}/infer") { Content = new StringContent(valid, Encoding.UTF8, "application/json") };
            check.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var answer = await clients[0].SendAsync(check);
            var text = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {text}");
            var outputs = JsonDocument.Parse(text).RootElement.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!, o => o.GetProperty("data"));
            var served = outputs["probabilities"].EnumerateArray().Select(p => p.GetSingle()).ToArray();
            var labels = outputs["label"].EnumerateArray().Select(p => p.GetInt32()).ToArray();
            using var loaded = store.Load(new ModelRef(Name, 1));
            var expected = Evaluator.Probabilities(loaded.Model, pixels, 3);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(Array.IndexOf(expected[i], expected[i].Max()), labels[i]);
                for (var k = 0; k < MnistMlp.Classes; k++)
                    Assert.True(Math.Abs(expected[i][k] - served[i * MnistMlp.Classes + k]) <= 1e-6f, $"image {i} class {k}: {served[i * MnistMlp.Classes + k]} served, {expected[i][k]} predicted");
            }

            // Resident memory. Every body is at most --max-body (100 KB) and at most 4 requests are in flight; the largest
            // single allocation is a PNG decoded at up to 4096x4096 (16 MB); so what requests hold at once is under
            // 100 MB, and the runtime's heap settles after its first collections. A request that left behind what it
            // allocated (its body: 1-400 KB here) would add hundreds of MB over 10,000 requests, and over 20 MB in
            // the second half alone at even 4 KB a request.
            Report.Line("serve fuzz", $"server VmRSS {before / 1024} MiB after warm-up, {halfway / 1024} MiB halfway, peak {peak / 1024} MiB while fuzzing, {after / 1024} MiB after; " +
                                      $"whole test {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(after - before < 128 << 10, $"VmRSS grew {(after - before) / 1024} MiB over {Requests} requests ({before / 1024} -> {after / 1024} MiB)");
            Assert.True(after - halfway < 20 << 10, $"VmRSS grew {(after - halfway) / 1024} MiB over the last {Requests / 2} requests ({halfway / 1024} -> {after / 1024} MiB)");
            Assert.True(peak - before < 256 << 10, $"VmRSS peaked {(peak - before) / 1024} MiB above its start ({before / 1024} -> {peak / 1024} MiB)");
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    /// <summary>Sends one case; the status, whether the body is the protocol's error, and what is wrong with the answer (null: nothing).</summary>
    async Task<(int Status, bool ErrorBody, string? Problem)> SendAsync(HttpClient client, Case c)
    {
        using var request = Message(c);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            return (0, false, $"{c.Describe()}: no answer: {e.Message}");
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsByteArrayAsync();
            var errorBody = false;
            string? problem = null;
            if (status != 200 && body.Length > 0)
            {
                try
                {
                    using var json = JsonDocument.Parse(body);
                    errorBody = json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error)
                                && error.ValueKind == JsonValueKind.String && error.GetString()!.Length > 0
                                && response.Content.Headers.ContentType?.MediaType == "application/json";
                }
                catch (JsonException) { }
                if (!errorBody)
                    problem = $"{c.Describe()}: {status} with a body that is not {{\"error\": \"...\"}}: {Encoding.UTF8.GetString(body)}";
            }
            if (!c.Allowed.Contains(status))
                problem = $"{c.Describe()}: {status}, expected {string.Join(" or ", c.Allowed)}: {Encoding.UTF8.GetString(body)}";
            else if (status == 200 && c.Path.Contains("/infer", StringComparison.Ordinal))
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.GetProperty("model_version").GetString() != "1")
                    problem = $"{c.Describe()}: 200 from version {json.RootElement.GetProperty("model_version")}";
                else if (c.Expected is not null && Mismatch(c.Expected, json.RootElement) is { } wrong)
                    problem = $"{c.Describe()}: {wrong}";
            }
            else if (status != 200 && !errorBody && !ByKestrel(c, status))
                problem ??= $"{c.Describe()}: {status} with an empty body; the server's own refusals carry {{\"error\": \"...\"}}";
            return (status, errorBody, problem);
        }
    }

    /// <summary>How the answer's probabilities and labels differ from v1's for <paramref name="pixels"/>, or null.</summary>
    string? Mismatch(float[] pixels, JsonElement answer)
    {
        var count = pixels.Length / MnistMlp.Inputs;
        float[] expected;
        lock (reference!)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            expected = reference.Model.forward(torch.tensor(pixels, [count, MnistMlp.Inputs])).softmax(1).data<float>().ToArray();
        }
        var outputs = answer.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!, o => o.GetProperty("data"));
        var served = outputs["probabilities"].EnumerateArray().Select(p => p.GetSingle()).ToArray();
        var labels = outputs["label"].EnumerateArray().Select(p => p.GetInt32()).ToArray();
        if (served.Length != expected.Length || labels.Length != count)
            return $"{served.Length} probabilities and {labels.Length} labels for {count} images";
        for (var i = 0; i < expected.Length; i++)
            if (Math.Abs(served[i] - expected[i]) > 1e-6f)
                return $"image {i / MnistMlp.Classes} class {i % MnistMlp.Classes}: {served[i]} served, {expected[i]} for the pixels System.Text.Json reads";
        for (var i = 0; i < count; i++)
        {
            var row = expected.AsSpan(i * MnistMlp.Classes, MnistMlp.Classes);
            if (labels[i] != row.IndexOf(row.ToArray().Max()))
                return $"image {i}: label {labels[i]}, expected {row.IndexOf(row.ToArray().Max())}";
        }
        return null;
    }

    /// <summary>The answers ASP.NET Core gives itself, with an empty body, before any of the server's code runs:
    /// headers over the limit (431), a NUL in the path (400), and a path whose last segment looks like a file name,
    /// which the fallback route (<c>{*path:nonfile}</c>) leaves to the framework's 404.</summary>
    static bool ByKestrel(Case c, int status)
    {
        var path = c.Path.Split('?')[0];
        return status switch
        {
            431 => true,
            400 => path.Contains("%00", StringComparison.Ordinal),
            404 => path[(path.LastIndexOf('/') + 1)..].Contains('.', StringComparison.Ordinal),
            _ => false,
        };
    }
}
