using EdgeAi.Core.Export;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeAi.Serving;

/// <summary>Class probabilities for a batch of images, by one runtime. Safe to call from many requests at once.</summary>
public interface IClassifier : IDisposable
{
    /// <summary>"torchsharp" or "onnxruntime": the OIP metadata's platform.</summary>
    string Platform { get; }
    /// <summary>Probabilities of <paramref name="count"/> images: <paramref name="pixels"/> holds 784 bytes (0-255) an
    /// image, or <paramref name="scaled"/> 784 floats in [0,1] (exactly one of the two is given); the result has 10 a row.</summary>
    float[] Probabilities(byte[]? pixels, float[]? scaled, int count);
}

/// <summary>The model as trained, in libtorch: the same forward and softmax as <c>edgeai predict</c>, and bytes scaled
/// to [0,1] by libtorch as there, so a served answer equals that command's.</summary>
public sealed class TorchClassifier(LoadedModel loaded) : IClassifier
{
    public string Platform => "torchsharp";

    public float[] Probabilities(byte[]? pixels, float[]? scaled, int count)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = pixels is not null
            ? torch.tensor(pixels, [count, MnistMlp.Inputs]).to_type(ScalarType.Float32).div_(255f)
            : torch.tensor(scaled!, [count, MnistMlp.Inputs]);
        var probabilities = loaded.Model.forward(input).softmax(1);
        return probabilities.data<float>().ToArray();
    }

    public void Dispose() => loaded.Dispose();
}

/// <summary>The model as <c>edgeai export</c> writes it (the same graph, built in memory from the verified version),
/// run by ONNX Runtime on one thread a request.</summary>
public sealed class OnnxClassifier : IClassifier
{
    readonly InferenceSession session;
    readonly string[] inputNames = [OnnxGraph.InputName], outputNames = [OnnxGraph.OutputName];
    readonly RunOptions runOptions = new();   // shared: Run only reads it

    public OnnxClassifier(LoadedModel loaded)
    {
        var graph = OnnxGraph.Build(loaded.Model, loaded.Manifest);
        loaded.Dispose();
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        session = new InferenceSession(graph, options);
    }

    public string Platform => "onnxruntime";

    public float[] Probabilities(byte[]? pixels, float[]? scaled, int count)
    {
        if (scaled is null)
        {
            scaled = new float[pixels!.Length];
            for (var i = 0; i < scaled.Length; i++)
                scaled[i] = pixels[i] / 255f;
        }
        using var input = OrtValue.CreateTensorValueFromMemory(scaled, [count, MnistMlp.Inputs]);
        using var outputs = session.Run(runOptions, inputNames, [input], outputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        session.Dispose();
        runOptions.Dispose();
    }
}
