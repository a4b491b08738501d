using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdgeAi.Core.Model;

/// <summary>
/// The report's network: Flatten, Dense 128 ReLU, Dense 128 ReLU, Dense 10. It returns logits; training
/// applies cross-entropy to them and prediction applies softmax, as Keras' softmax layer did.
/// </summary>
public sealed class MnistMlp : nn.Module<Tensor, Tensor>
{
    public const string ArchitectureName = "mnist-mlp-784-128-128-10";
    public const int Inputs = 784, Hidden = 128, Classes = 10;

    /// <summary>Tensor names and shapes in a saved state dict. Named like PyTorch's
    /// nn.Sequential(Flatten, Linear, ReLU, Linear, ReLU, Linear), so Python loads it into that model as is.</summary>
    public static readonly IReadOnlyList<(string Name, long[] Shape)> Tensors =
    [
        ("1.weight", [Hidden, Inputs]), ("1.bias", [Hidden]),
        ("3.weight", [Hidden, Hidden]), ("3.bias", [Hidden]),
        ("5.weight", [Classes, Hidden]), ("5.bias", [Classes]),
    ];

    readonly Linear input, hidden, output;

    // Initial weights come from libtorch's one process-wide generator. Seeding and drawing happen under a lock
    // that every construction takes, so a model built on another thread (two trainings in one process, tests
    // in parallel) cannot draw between this model's seed and its weights.
    static readonly Lock Initialization = new();

    public MnistMlp() : this(seed: null) { }

    /// <summary>A fresh model; with a seed, its initial weights are the same on every run (on one machine).</summary>
    public MnistMlp(long? seed) : base(NativeLoaded(nameof(MnistMlp)))
    {
        lock (Initialization)
        {
            if (seed is { } s)
                torch.manual_seed(s);
            input = nn.Linear(Inputs, Hidden);
            hidden = nn.Linear(Hidden, Hidden);
            output = nn.Linear(Hidden, Classes);
        }
        register_module("1", input);
        register_module("3", hidden);
        register_module("5", output);
    }

    /// <summary>Every use of libtorch in the core starts with a model, so this is the one place that loads the native
    /// backend, before the base constructor first calls into it (a failure is an <see cref="EdgeAiException"/>).</summary>
    static string NativeLoaded(string name)
    {
        Native.TorchNative.EnsureLoaded();
        return name;
    }

    /// <summary>The three dense layers, for the training step that computes their gradients itself.</summary>
    internal (Linear Input, Linear Hidden, Linear Output) Layers => (input, hidden, output);

    /// <summary>Logits for a batch of images (any shape whose trailing dimensions hold 784 pixels in [0,1]).</summary>
    public override Tensor forward(Tensor images)
    {
        using var flat = images.flatten(1);
        using var a = input.forward(flat);
        using var b = a.relu_();
        using var c = hidden.forward(b);
        using var d = c.relu_();
        return output.forward(d);
    }
}
