using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeAi.Serving;

namespace EdgeAi.Core.Tests.Serving;

/// <summary>The server's reading of an inference request's <c>data</c> takes the same values, and refuses the same
/// bodies, as a plain reading with System.Text.Json's document model would: thousands of generated arrays of
/// well-formed, malformed and out-of-range numbers, flat and nested, in both datatypes.</summary>
public sealed class RequestParsingTests
{
    const int MaxBatch = 4;

    // Numbers as clients write them, and what a JSON reader must refuse (or, for UINT8, what is not 0-255).
    static readonly string[] Numbers =
    [
        "0", "1", "7", "42", "255", "256", "1000", "65535", "99999", "4294967296", "-0", "-1", "-0.0", "0.0", "1.0",
        "0.5", "0.5137255", "0.003921569", "0.1234567890123456789", "0.99999999999999999999", "1.00000001", "1e0",
        "1E-1", "2.5e-1", "5e-324", "1e-400", "1e400", "0.000000000000000000000000001", "1e+0", "100e-3", "12.5",
        "01", "00", "1.", ".5", "1e", "1e+", "-", "--1", "+1", "0x1", "NaN", "Infinity", "-Infinity", "\"1\"", "true",
        "null", "{}", "[]", "1_0", "١",
    ];

    static readonly string[] Separators = [",", ", ", " ,", ",\n", ",\t", "\r\n,"];

    [Fact]
    public void Generated_data_arrays_are_read_as_a_document_reader_reads_them()
    {
        var random = new Random(20261203);
        int accepted = 0, refused = 0;
        for (var i = 0; i < 6000; i++)
        {
            var datatype = random.Next(2) == 0 ? "UINT8" : "FP32";
            var count = random.Next(1, 3);
            var data = GenerateData(random, datatype, count);
            var body = Envelope(random, datatype, count, data);
            var expected = Reference(body, datatype, count);
            var actual = Parse(body);
            Assert.True(expected.Refused == actual.Refused,
                $"Reference {(expected.Refused ? "refuses" : "accepts")} and the server {(actual.Refused ? "refuses" : "accepts")} body {Preview(body)}: {actual.Message}");
            if (expected.Refused)
            {
                refused++;
                continue;
            }
            accepted++;
            Assert.Equal(count, actual.Request!.Count);
            if (datatype == "UINT8")
                Assert.Equal(expected.Pixels, actual.Request.Pixels);
            else
                Assert.Equal(expected.Scaled!.Select(BitConverter.SingleToInt32Bits), actual.Request.Scaled!.Select(BitConverter.SingleToInt32Bits));
        }
        // Both outcomes must be well represented, or the comparison says little.
        Assert.InRange(accepted, 1500, 4500);
        Assert.InRange(refused, 1500, 4500);
    }

    [Theory]
    [InlineData("[0.5,", "The body is not valid JSON")]
    [InlineData("[0.5, \"0.5\"]", "holds a string")]
    [InlineData("[0.5, 0.5,]", "The body is not valid JSON")]
    [InlineData("[1.5]", "FP32 pixel 0 is 1.5")]
    [InlineData("[-0.25]", "FP32 pixel 0 is -0.25")]
    [InlineData("[01]", "The body is not valid JSON")]
    public void A_refused_data_array_is_named_in_the_message(string data, string message)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"inputs":[{"name":"pixels","shape":[1,784],"datatype":"FP32","data":{{data}}}]}""");
        var error = Assert.Throws<OipError>(() => InferenceRequest.Parse(body, MaxBatch));
        Assert.Equal(400, error.Status);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Members_after_the_data_array_are_still_read()
    {
        var pixels = string.Join(",", Enumerable.Range(0, 784).Select(i => i % 256));
        var body = Encoding.UTF8.GetBytes($$"""{"id":"a","inputs":[{"data":[{{pixels}}],"name":"pixels","shape":[1,784],"datatype":"UINT8"}],"outputs":[{"name":"label"}]}""");
        var request = InferenceRequest.Parse(body, MaxBatch);
        Assert.Equal("a", request.Id);
        Assert.Equal(Outputs.Label, request.Outputs);
        Assert.Equal(Enumerable.Range(0, 784).Select(i => (byte)(i % 256)), request.Pixels);

        var duplicate = Encoding.UTF8.GetBytes($$"""{"inputs":[{"data":[{{pixels}}],"name":"pixels","shape":[1,784],"datatype":"UINT8","data":[{{pixels}}]}]}""");
        Assert.Equal(400, Assert.Throws<OipError>(() => InferenceRequest.Parse(duplicate, MaxBatch)).Status);
        var trailing = Encoding.UTF8.GetBytes($$"""{"inputs":[{"data":[{{pixels}}],"name":"pixels","shape":[1,784],"datatype":"UINT8"}]} x""");
        Assert.Equal(400, Assert.Throws<OipError>(() => InferenceRequest.Parse(trailing, MaxBatch)).Status);
    }

    static string GenerateData(Random random, string datatype, int count)
    {
        var values = new List<string>();
        var mutate = random.Next(3) == 0;   // a third carry one odd number somewhere; the rest are well formed
        var n = count * 784 + (random.Next(20) == 0 ? random.Next(-2, 3) : 0);
        for (var i = 0; i < n; i++)
            values.Add(datatype == "UINT8"
                ? random.Next(256).ToString(CultureInfo.InvariantCulture)
                : random.Next(4) switch
                {
                    0 => "0",
                    1 => "1",
                    2 => (random.Next(256) / 255f).ToString("R", CultureInfo.InvariantCulture),
                    _ => random.NextDouble().ToString("G17", CultureInfo.InvariantCulture),
                });
        if (mutate && n > 0)
            for (var k = random.Next(1, 3); k > 0; k--)
                values[random.Next(n)] = Numbers[random.Next(Numbers.Length)];
        var text = new StringBuilder();
        var nested = random.Next(3);   // flat, one array per image, one per row
        text.Append('[');
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
                text.Append(Separators[random.Next(Separators.Length)]);
            if (nested == 1 && i % 784 == 0 || nested == 2 && i % 28 == 0)
                text.Append('[');
            text.Append(values[i]);
            if (nested == 1 && (i % 784 == 783 || i == values.Count - 1) || nested == 2 && (i % 28 == 27 || i == values.Count - 1))
                text.Append(']');
        }
        text.Append(']');
        if (random.Next(25) == 0)   // a broken bracket, comma or deep nesting
        {
            var at = random.Next(text.Length);
            text.Insert(at, random.Next(4) switch { 0 => "[", 1 => "]", 2 => ",", _ => new string('[', 20) + "1" + new string(']', 20) + "," });
        }
        return text.ToString();
    }

    static byte[] Envelope(Random random, string datatype, int count, string data)
    {
        var members = new List<string>
        {
            "\"name\":\"pixels\"",
            $"\"shape\":[{count},784]",
            $"\"datatype\":\"{datatype}\"",
            $"\"data\":{data}",
        };
        // JSON does not order an object's members: the data array comes first, last or between.
        var shuffled = members.OrderBy(_ => random.Next()).ToList();
        return Encoding.UTF8.GetBytes($"{{\"id\":\"r\",\"inputs\":[{{{string.Join(",", shuffled)}}}],\"parameters\":{{}}}}");
    }

    sealed record Outcome(bool Refused, byte[]? Pixels = null, float[]? Scaled = null, InferenceRequest? Request = null, string? Message = null);

    static Outcome Parse(byte[] body)
    {
        try
        {
            return new Outcome(false, Request: InferenceRequest.Parse(body, MaxBatch));
        }
        catch (OipError error)
        {
            Assert.Equal(400, error.Status);
            return new Outcome(true, Message: error.Message);
        }
    }

    /// <summary>The request's data as the document model reads it: every leaf a number, exactly the shape's count,
    /// UINT8 as Int32 0-255, FP32 as the double nearest the decimal, in [0, 1], rounded to float.</summary>
    static Outcome Reference(byte[] body, string datatype, int count)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            return new Outcome(true);
        }
        using (document)
        {
            var input = document.RootElement.GetProperty("inputs")[0];
            var leaves = new List<JsonElement>();
            if (!Flatten(input.GetProperty("data"), leaves) || leaves.Count != count * 784)
                return new Outcome(true);
            if (datatype == "UINT8")
            {
                var pixels = new byte[leaves.Count];
                for (var i = 0; i < leaves.Count; i++)
                {
                    if (!leaves[i].TryGetInt32(out var value) || value is < 0 or > 255)
                        return new Outcome(true);
                    pixels[i] = (byte)value;
                }
                return new Outcome(false, Pixels: pixels);
            }
            var scaled = new float[leaves.Count];
            for (var i = 0; i < leaves.Count; i++)
            {
                if (!leaves[i].TryGetDouble(out var value) || !(value is >= 0 and <= 1))
                    return new Outcome(true);
                scaled[i] = (float)value;
            }
            return new Outcome(false, Scaled: scaled);
        }
    }

    static bool Flatten(JsonElement element, List<JsonElement> leaves)
    {
        if (element.ValueKind != JsonValueKind.Array)
            return false;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                if (!Flatten(item, leaves))
                    return false;
            }
            else if (item.ValueKind == JsonValueKind.Number)
                leaves.Add(item);
            else
                return false;
        }
        return true;
    }

    static string Preview(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length <= 400 ? text : text[..200] + " ... " + text[^200..];
    }
}
