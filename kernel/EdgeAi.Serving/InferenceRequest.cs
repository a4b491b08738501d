using System.Text.Json;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;

namespace EdgeAi.Serving;

/// <summary>The outputs a request asks for (both when it names none).</summary>
[Flags]
public enum Outputs { Probabilities = 1, Label = 2, Both = Probabilities | Label }

/// <summary>
/// An Open Inference Protocol (v2) inference request for the MNIST model, read and checked: one input named
/// <see cref="InputName"/>, datatype FP32 (pixels in [0,1]) or UINT8 (0-255), shape [N,784], [N,28,28] or
/// [N,1,28,28], data flat or nested in row-major order. Read with System.Text.Json's forward-only reader straight
/// from the body's bytes: no object model is built for thousands of numbers, and nothing the body says is used
/// before it is checked.
/// </summary>
public sealed record InferenceRequest(string? Id, int Count, byte[]? Pixels, float[]? Scaled, Outputs Outputs)
{
    public const string InputName = "pixels", ProbabilitiesName = "probabilities", LabelName = "label";
    const int MaxDepth = 16, MaxIdLength = 256;

    static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow };

    public static InferenceRequest Parse(ReadOnlySpan<byte> body, int maxBatch)
    {
        try
        {
            return Read(body, maxBatch);
        }
        catch (JsonException e)
        {
            throw OipError.BadRequest($"The body is not valid JSON: {Printable.Of(e.Message)}");
        }
        catch (InvalidOperationException e)
        {
            throw OipError.BadRequest($"The body is not an inference request: {Printable.Of(e.Message)}");
        }
    }

    static InferenceRequest Read(ReadOnlySpan<byte> body, int maxBatch)
    {
        var reader = new Utf8JsonReader(body, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw OipError.BadRequest("The body must be a JSON object: {\"inputs\": [{\"name\": \"pixels\", \"shape\": [1, 784], \"datatype\": \"FP32\", \"data\": [...]}]}.");
        string? id = null;
        Input input = default;
        var outputs = Outputs.Both;
        var offset = 0;   // where the reader started in the body: it is replaced once, past the data array
        var seen = new HashSet<string>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.GetString()!;
            if (!seen.Add(property))
                throw OipError.BadRequest($"The request names \"{Printable.Of(property)}\" twice.");
            reader.Read();
            switch (property)
            {
                case "id":
                    if (reader.TokenType != JsonTokenType.String)
                        throw OipError.BadRequest("\"id\" must be a string.");
                    id = reader.GetString()!;
                    if (id.Length > MaxIdLength)
                        throw OipError.BadRequest($"\"id\" has {id.Length} characters; at most {MaxIdLength}.");
                    break;
                case "inputs":
                    input = ReadInputs(ref reader, body, ref offset);
                    break;
                case "outputs":
                    outputs = ReadOutputs(ref reader);
                    break;
                default:   // "parameters", and whatever a later protocol version adds: a client may send it
                    reader.Skip();
                    break;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            throw OipError.BadRequest("The body holds more than one JSON object.");
        if (!input.Present)
            throw OipError.BadRequest("The request has no \"inputs\": send one input named \"pixels\".");
        var (count, pixels, scaled) = input.Values(body, maxBatch);
        return new InferenceRequest(id, count, pixels, scaled, outputs);
    }

    /// <summary>One input tensor as the request described it; its data is read once its datatype and shape are known
    /// (JSON does not fix the order of an object's members).</summary>
    readonly record struct Input(string? datatype, long[]? shape, int dataStart, int dataEnd, bool plainNumbers, byte[]? bytes)
    {
        public bool Present { get; } = true;   // false in default(Input): no "inputs" was read

        public (int Count, byte[]? Pixels, float[]? Scaled) Values(ReadOnlySpan<byte> body, int maxBatch)
        {
            if (datatype is null)
                throw OipError.BadRequest("The input has no \"datatype\": use \"FP32\" (pixels in [0,1]) or \"UINT8\" (0-255).");
            if (datatype is not ("FP32" or "UINT8"))
                throw OipError.BadRequest($"Datatype \"{Printable.Of(datatype)}\" is not accepted: use \"FP32\" (pixels in [0,1]) or \"UINT8\" (0-255).");
            if (shape is null)
                throw OipError.BadRequest("The input has no \"shape\": use [N, 784], [N, 28, 28] or [N, 1, 28, 28].");
            var described = $"[{string.Join(", ", shape)}]";
            var imageShape = shape.Length switch
            {
                2 => shape[1] == MnistMlp.Inputs,
                3 => shape[1] == 28 && shape[2] == 28,
                4 => shape[1] == 1 && shape[2] == 28 && shape[3] == 28,
                _ => false,
            };
            if (!imageShape)
                throw OipError.BadRequest($"Shape {described} is not a batch of 28x28 images: use [N, 784], [N, 28, 28] or [N, 1, 28, 28].");
            if (shape[0] < 1 || shape[0] > maxBatch)
                throw OipError.BadRequest($"Shape {described} holds {shape[0]} images; this server takes 1-{maxBatch} a request (--max-batch).");
            if (dataEnd == 0)
                throw OipError.BadRequest("The input has no \"data\": send the pixels, row by row.");
            var count = (int)shape[0];
            var expected = count * MnistMlp.Inputs;
            // The fast path reads plain numbers; the reader below names whatever it does not take.
            var data = body[dataStart..dataEnd];
            var reader = new Utf8JsonReader(data, ReaderOptions);
            if (datatype == "UINT8")
            {
                if (bytes?.Length == expected)
                    return (count, bytes, null);
                var pixels = new byte[expected];
                reader.Read();
                var n = 0;
                ReadNumbers(ref reader, expected, described, ref n, (ref Utf8JsonReader r, int i) =>
                {
                    if (!r.TryGetInt32(out var value) || value is < 0 or > 255)
                        throw OipError.BadRequest($"UINT8 pixel {i} is {Printable.Of(System.Text.Encoding.UTF8.GetString(r.ValueSpan))}; each must be a whole number 0-255.");
                    pixels[i] = (byte)value;
                });
                return (count, pixels, null);
            }
            var scaled = new float[expected];
            if (plainNumbers && NumberArray.TryReadUnitFloats(data, scaled))
                return (count, null, scaled);
            reader.Read();
            var m = 0;
            ReadNumbers(ref reader, expected, described, ref m, (ref Utf8JsonReader r, int i) =>
            {
                if (!r.TryGetDouble(out var value) || !(value is >= 0 and <= 1))
                    throw OipError.BadRequest($"FP32 pixel {i} is {Printable.Of(System.Text.Encoding.UTF8.GetString(r.ValueSpan))}; each must be a number in [0, 1] (a byte / 255).");
                scaled[i] = (float)value;
            });
            return (count, null, scaled);
        }
    }

    delegate void NumberReader(ref Utf8JsonReader reader, int index);

    /// <summary>The numbers of a data array, flat or nested, in order; exactly <paramref name="expected"/> of them.</summary>
    static void ReadNumbers(ref Utf8JsonReader reader, int expected, string shape, ref int n, NumberReader take)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw OipError.BadRequest("\"data\" must be an array of numbers.");
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray or JsonTokenType.EndArray:
                    continue;
                case JsonTokenType.Number:
                    if (n >= expected)
                        throw OipError.BadRequest($"\"data\" holds more than the {expected} values shape {shape} needs.");
                    take(ref reader, n++);
                    break;
                default:
                    throw OipError.BadRequest($"\"data\" holds a {reader.TokenType.ToString().ToLowerInvariant()}; it must hold numbers only (in arrays).");
            }
        }
        if (n != expected)
            throw OipError.BadRequest($"\"data\" holds {n} values; shape {shape} needs {expected}.");
    }

    static Input ReadInputs(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, ref int offset)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw OipError.BadRequest("\"inputs\" must be an array of one input.");
        Input input = default;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (input.Present)
                throw OipError.BadRequest($"The request has more than one input; this model takes one, \"{InputName}\".");
            input = ReadInput(ref reader, body, ref offset);
        }
        return input.Present ? input : throw OipError.BadRequest($"\"inputs\" is empty; send one input named \"{InputName}\".");
    }

    static Input ReadInput(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, ref int offset)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw OipError.BadRequest("Each input must be an object with \"name\", \"shape\", \"datatype\" and \"data\".");
        string? name = null, datatype = null;
        long[]? shape = null;
        int dataStart = 0, dataEnd = 0;
        byte[]? bytes = null;
        var plainNumbers = false;
        var seen = new HashSet<string>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.GetString()!;
            if (!seen.Add(property))
                throw OipError.BadRequest($"The input names \"{Printable.Of(property)}\" twice.");
            reader.Read();
            switch (property)
            {
                case "name":
                    name = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw OipError.BadRequest("The input's \"name\" must be a string.");
                    break;
                case "datatype":
                    datatype = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw OipError.BadRequest("The input's \"datatype\" must be a string.");
                    break;
                case "shape":
                    shape = ReadShape(ref reader);
                    break;
                case "data":
                    dataStart = offset + (int)reader.TokenStartIndex;
                    var end = -1;
                    plainNumbers = reader.TokenType == JsonTokenType.StartArray
                                   && NumberArray.TryFindEnd(body, dataStart, MaxDepth - reader.CurrentDepth, out end, out bytes);
                    if (plainNumbers)
                    {
                        // Past the array without tokenizing it: a reader on the rest of the body, in the state this
                        // one had at the array's '[', reads its ']' next and goes on as if it had read the numbers.
                        var state = reader.CurrentState;
                        offset = end;
                        reader = new Utf8JsonReader(body[end..], isFinalBlock: true, state);
                        reader.Read();
                    }
                    else
                        reader.Skip();
                    dataEnd = offset + (int)reader.BytesConsumed;
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (name != InputName)
            throw OipError.BadRequest(name is null
                ? $"The input has no \"name\"; this model's input is \"{InputName}\"."
                : $"Input \"{Printable.Of(name)}\" is not this model's; its input is \"{InputName}\".");
        return new Input(datatype, shape, dataStart, dataEnd, plainNumbers, bytes);
    }

    static long[] ReadShape(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw OipError.BadRequest("\"shape\" must be an array of whole numbers, e.g. [1, 784].");
        var shape = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var size) || shape.Count == 4)
                throw OipError.BadRequest("\"shape\" must be 2 to 4 whole numbers, e.g. [1, 784].");
            shape.Add(size);
        }
        return [.. shape];
    }

    static Outputs ReadOutputs(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw OipError.BadRequest($"\"outputs\" must be an array of objects naming \"{ProbabilitiesName}\" or \"{LabelName}\".");
        Outputs outputs = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
                throw OipError.BadRequest("Each requested output must be an object with a \"name\".");
            string? name = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = reader.GetString();
                reader.Read();
                if (property == "name" && reader.TokenType == JsonTokenType.String)
                    name = reader.GetString();
                else
                    reader.Skip();
            }
            outputs |= name switch
            {
                ProbabilitiesName => Outputs.Probabilities,
                LabelName => Outputs.Label,
                _ => throw OipError.BadRequest($"Output \"{Printable.Of(name ?? "")}\" is not this model's; it has \"{ProbabilitiesName}\" and \"{LabelName}\"."),
            };
        }
        return outputs == 0 ? Outputs.Both : outputs;
    }
}
