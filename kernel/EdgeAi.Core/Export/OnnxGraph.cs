using System.Runtime.InteropServices;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using TorchSharp;

namespace EdgeAi.Core.Export;

/// <summary>
/// The store's model as a standard ONNX graph: <c>pixels</c> FP32 [N,784] (values in [0,1]) → Gemm, Relu, Gemm,
/// Relu, Gemm → Softmax(axis 1) → <c>probabilities</c> FP32 [N,10]. Weights are initializers; metadata_props name the
/// source version and its weights' SHA-256, so a deployed file can be traced back to the store.
/// Field numbers are onnx.proto's (ModelProto, GraphProto, NodeProto, ...).
/// </summary>
public static class OnnxGraph
{
    /// <summary>ONNX 1.12's pair (opset 17, IR version 8): old enough for every ONNX Runtime still in use on edge
    /// boards, new enough for Softmax over one axis (opset 13 on).</summary>
    public const int Opset = 17;
    public const long IrVersion = 8;
    public const string Producer = "EdgeAiCluster";
    public const string InputName = "pixels", OutputName = "probabilities", BatchDimension = "N";

    /// <summary>metadata_props keys: the source model's name, version number and weights' SHA-256 (as its manifest says).</summary>
    public const string NameKey = "edgeai.source.name", VersionKey = "edgeai.source.version", Sha256Key = "edgeai.source.weights_sha256";

    const int FloatType = 1;            // TensorProto.DataType.FLOAT
    const int IntAttribute = 2;         // AttributeProto.AttributeType.INT

    /// <summary>The ModelProto bytes for <paramref name="model"/>, whose weights are those of <paramref name="source"/>.</summary>
    public static byte[] Build(MnistMlp model, ModelManifest source)
    {
        using var scope = torch.NewDisposeScope();   // the float copies of the weights; the model's own are untouched
        var weights = model.state_dict();
        var graph = new ProtoMessage().String(2, MnistMlp.ArchitectureName);
        // ONNX wants initializers in a graph's input list no more (IR version 4 on), so only the pixels are inputs.
        foreach (var (name, shape) in MnistMlp.Tensors)
            graph.Message(5, Initializer(InitializerName(name), shape, weights[name]));

        string[] hidden = ["dense1", "relu1", "dense2", "relu2", "logits"];
        graph.Message(1, Gemm("dense1", InputName, "1", hidden[0]))
             .Message(1, Node("Relu", "relu1", [hidden[0]], hidden[1]))
             .Message(1, Gemm("dense2", hidden[1], "3", hidden[2]))
             .Message(1, Node("Relu", "relu2", [hidden[2]], hidden[3]))
             .Message(1, Gemm("dense3", hidden[3], "5", hidden[4]))
             .Message(1, Node("Softmax", "softmax", [hidden[4]], OutputName).Message(5, IntAttr("axis", 1)))
             .Message(11, Value(InputName, MnistMlp.Inputs, "Images as 784 pixels each, row by row, scaled to [0,1] (byte / 255)"))
             .Message(12, Value(OutputName, MnistMlp.Classes, "Class probabilities (softmax of the logits), classes 0-9"));

        var proto = new ProtoMessage()
            .Int64(1, IrVersion)
            .String(2, Producer)
            .String(3, typeof(OnnxGraph).Assembly.GetName().Version?.ToString(3) ?? "")
            .String(4, "edgeai")
            .Int64(5, source.Version)
            .String(6, $"{MnistMlp.ArchitectureName} exported from {source.Ref} (weights SHA-256 {source.WeightsSha256})")
            .Message(7, graph)
            .Message(8, new ProtoMessage().String(1, "").Int64(2, Opset));
        foreach (var (key, value) in Metadata(source))
            proto.Message(14, new ProtoMessage().String(1, key).String(2, value));
        return proto.ToArray();
    }

    /// <summary>What metadata_props hold for <paramref name="source"/>.</summary>
    public static IReadOnlyList<(string Key, string Value)> Metadata(ModelManifest source) =>
    [
        (NameKey, source.Name),
        (VersionKey, source.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        (Sha256Key, source.WeightsSha256),
    ];

    // "1.weight" → "dense1.weight": the names say which layer, as PyTorch's Sequential indices do not.
    static string InitializerName(string stateName) => stateName[0] switch
    {
        '1' => "dense1" + stateName[1..],
        '3' => "dense2" + stateName[1..],
        _ => "dense3" + stateName[1..],
    };

    static ProtoMessage Gemm(string name, string input, string layer, string output) =>
        // Y = X · Wᵀ + b: PyTorch stores a Linear's weight as [out, in], so B is transposed.
        Node("Gemm", name, [input, InitializerName(layer + ".weight"), InitializerName(layer + ".bias")], output)
            .Message(5, IntAttr("transB", 1));

    static ProtoMessage Node(string op, string name, string[] inputs, string output)
    {
        var node = new ProtoMessage();
        foreach (var input in inputs)
            node.String(1, input);
        return node.String(2, output).String(3, name).String(4, op);
    }

    static ProtoMessage IntAttr(string name, long value) =>
        new ProtoMessage().String(1, name).Int64(3, value).Int32(20, IntAttribute);

    static ProtoMessage Initializer(string name, long[] shape, torch.Tensor tensor)
    {
        var values = tensor.detach().cpu().contiguous().to_type(torch.ScalarType.Float32);
        var floats = values.data<float>().ToArray();
        if (floats.Length != shape.Aggregate(1L, (a, b) => a * b))
            throw new EdgeAiException($"Tensor {name} has {floats.Length} values, its shape [{string.Join(", ", shape)}] needs {shape.Aggregate(1L, (a, b) => a * b)}.");
        var message = new ProtoMessage();
        foreach (var dim in shape)
            message.Int64(1, dim);
        // raw_data is little-endian by the ONNX spec; so is every machine .NET and TorchSharp run on here (x64, arm64).
        return message.Int32(2, FloatType).String(8, name).Bytes(9, MemoryMarshal.AsBytes(floats.AsSpan()));
    }

    /// <summary>A float tensor [N, <paramref name="width"/>], N named so that any batch size is accepted.</summary>
    static ProtoMessage Value(string name, int width, string doc)
    {
        var shape = new ProtoMessage()
            .Message(1, new ProtoMessage().String(2, BatchDimension))
            .Message(1, new ProtoMessage().Int64(1, width));
        var tensor = new ProtoMessage().Int32(1, FloatType).Message(2, shape);
        return new ProtoMessage().String(1, name).Message(2, new ProtoMessage().Message(1, tensor)).String(3, doc);
    }
}
