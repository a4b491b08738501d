using System.Buffers.Binary;
using System.Text.Json;
using EdgeAi.Core.Model;

namespace EdgeAi.Core.Store;

/// <summary>
/// Checks a whole safetensors file against the model before anything is allocated for its tensors: header length
/// within the file, valid JSON, exactly the model's tensors (F32, its shapes), offsets in bounds, in order,
/// contiguous and covering the data. TorchSharp.PyBridge's reader trusts the header (a huge shape, or 2,500
/// tensors aliasing one region, made it allocate gigabytes), so it only ever sees files that passed this.
/// Written here because no library validates a safetensors header against an expected tensor set.
/// </summary>
public static class SafetensorsHeader
{
    /// <summary>The model's header is under 1 KiB; anything near this is not ours.</summary>
    const int MaxHeaderBytes = 64 * 1024;

    /// <summary>Throws an <see cref="EdgeAiException"/> naming every problem, or returns when the file fits the model.</summary>
    public static void Check(ReadOnlySpan<byte> file, string path, string what)
    {
        var problems = Problems(file);
        if (problems.Count > 0)
            throw new EdgeAiException($"{what} does not fit the {MnistMlp.ArchitectureName} model: {path}: {string.Join("; ", problems)}.");
    }

    static List<string> Problems(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8)
            return [$"{file.Length} bytes is too short for a safetensors file"];
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderBytes || headerLength > (ulong)(file.Length - 8))
            return [$"the header claims {headerLength:N0} bytes, but the file has {file.Length - 8:N0} after the length field (at most {MaxHeaderBytes:N0} allowed)"];
        var body = file.Length - 8 - (long)headerLength;

        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(file.Slice(8, (int)headerLength).ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException e)
        {
            return [$"the header is not valid JSON ({e.Message})"];
        }
        using (header)
        {
            try
            {
                return Problems(header, body);
            }
            catch (InvalidOperationException e)   // names that are not valid UTF-8 fail only when they are read
            {
                return [$"the header is not valid JSON ({e.Message})"];
            }
        }
    }

    static List<string> Problems(JsonDocument header, long body)
    {
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
                return ["the header is not a JSON object"];
            var problems = new List<string>();
            var expected = MnistMlp.Tensors.ToDictionary(t => t.Name, t => t.Shape);
            var spans = new List<(long Begin, long End, string Name)>();
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object || entry.Value.EnumerateObject().Any(m => m.Value.ValueKind != JsonValueKind.String))
                        problems.Add("__metadata__ is not an object of strings");
                    continue;
                }
                if (!expected.TryGetValue(entry.Name, out var shape))
                {
                    problems.Add($"tensor {Printable.Of(entry.Name)} is not part of the model");
                    continue;
                }
                if (TensorProblem(entry.Name, entry.Value, shape, body) is { } problem)
                    problems.Add(problem);
                else
                {
                    var offsets = entry.Value.GetProperty("data_offsets");
                    spans.Add((offsets[0].GetInt64(), offsets[1].GetInt64(), entry.Name));
                }
                expected.Remove(entry.Name);
            }
            problems.AddRange(expected.Keys.Select(n => $"lacks tensor {n}"));
            if (problems.Count > 0)
                return problems;

            long next = 0;
            foreach (var (begin, end, name) in spans.OrderBy(s => s.Begin))
            {
                if (begin != next)
                    problems.Add($"tensor {name} starts at byte {begin:N0}, expected {next:N0} (overlapping or gapped data)");
                next = end;
            }
            if (next != body)
                problems.Add($"the tensors cover {next:N0} bytes of data, but the file holds {body:N0}");
            return problems;
        }
    }

    static string? TensorProblem(string name, JsonElement tensor, long[] shape, long body)
    {
        if (tensor.ValueKind != JsonValueKind.Object)
            return $"tensor {name} is not an object";
        if (!tensor.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            return $"tensor {name} has no dtype";
        if (dtype.GetString() != "F32")
            return $"tensor {name} is {Printable.Of(dtype.GetString())}, the model needs F32";
        if (!tensor.TryGetProperty("shape", out var dims) || dims.ValueKind != JsonValueKind.Array
            || dims.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out _)))
            return $"tensor {name} has no shape of whole numbers";
        var actual = dims.EnumerateArray().Select(d => d.GetInt64()).ToArray();
        if (!actual.SequenceEqual(shape))
            return $"tensor {name} has shape [{string.Join(", ", actual)}], the model needs [{string.Join(", ", shape)}]";
        if (!tensor.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end))
            return $"tensor {name} has no data_offsets [begin, end]";
        var bytes = shape.Aggregate(4L, (a, d) => a * d);
        if (begin < 0 || end < begin || end > body || end - begin != bytes)
            return $"tensor {name} has data_offsets [{begin}, {end}]; it needs {bytes:N0} bytes within the {body:N0} of data";
        return null;
    }
}
