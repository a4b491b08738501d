// probe cpu: the CPU as this process sees it: the architecture, AT_HWCAP/AT_HWCAP2 from /proc/self/auxv (under
// qemu-user, the emulated CPU model's) and which of .NET's Arm intrinsics the runtime enabled from them.
// probe onnx MODEL.onnx T10K_IMAGES.gz T10K_LABELS.gz OUT.csv: ONNX Runtime (one thread) predicts every test image;
// OUT.csv has index,true,predicted,p0..p9 with probabilities written to round-trip.
// probe native LIB: calls LIB's `int add(int *, int)` (sigill/test.sh's library, built for ARMv8.1-A) from .NET.
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using Microsoft.ML.OnnxRuntime;

return args.FirstOrDefault() switch
{
    "cpu" => Cpu(),
    "onnx" when args.Length == 5 => Onnx(args[1], args[2], args[3], args[4]),
    "native" when args.Length == 2 => Native(args[1]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: probe cpu | probe onnx MODEL.onnx IMAGES.gz LABELS.gz OUT.csv | probe native LIB");
    return 2;
}

static int Cpu()
{
    var auxv = File.ReadAllBytes("/proc/self/auxv");
    ulong hwcap = 0, hwcap2 = 0;
    for (var i = 0; i + 16 <= auxv.Length; i += 16)
    {
        var type = BitConverter.ToUInt64(auxv, i);
        var value = BitConverter.ToUInt64(auxv, i + 8);
        if (type == 16)
            hwcap = value;        // AT_HWCAP
        else if (type == 26)
            hwcap2 = value;  // AT_HWCAP2
        else if (type == 0)
            break;
    }
    // Linux's arm64 HWCAP bits (arch/arm64/include/uapi/asm/hwcap.h), those that tell ARMv8.0 from later.
    string[] names = ["fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "atomics", "fphp", "asimdhp",
        "cpuid", "asimdrdm", "jscvt", "fcma", "lrcpc", "dcpop", "sha3", "sm3", "sm4", "asimddp", "sha512", "sve",
        "asimdfhm", "dit", "uscat", "ilrcpc", "flagm", "ssbs", "sb", "paca", "pacg"];
    var features = Enumerable.Range(0, names.Length).Where(b => (hwcap & (1UL << b)) != 0).Select(b => names[b]);
    Console.WriteLine($"arch {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
    Console.WriteLine($"HWCAP 0x{hwcap:x} HWCAP2 0x{hwcap2:x}: {string.Join(' ', features)}");
    Console.WriteLine(".NET intrinsics: " + string.Join(' ', new (string, bool)[]
    {
        ("AdvSimd", AdvSimd.IsSupported), ("Crc32", Crc32.IsSupported), ("Aes", Aes.IsSupported),
        ("Sha256", Sha256.IsSupported), ("Rdm", Rdm.IsSupported), ("Dp", Dp.IsSupported),
        ("Sve", Sve.IsSupported), ("Sve2", Sve2.IsSupported),
    }.Select(f => $"{f.Item1}={(f.Item2 ? 1 : 0)}")));
    // An interlocked add: LSE's ldadd where the runtime found atomics, an ldxr/stxr loop where not.
    long counter = 0;
    Parallel.For(0, 10_000, _ => Interlocked.Increment(ref counter));
    Console.WriteLine($"Interlocked.Increment x 10,000 on threads: {counter}");
    return counter == 10_000 ? 0 : 1;
}

static unsafe int Native(string library)
{
    var add = (delegate* unmanaged<int*, int, int>)NativeLibrary.GetExport(NativeLibrary.Load(library), "add");
    var value = 1;
    var old = add(&value, 2);
    Console.WriteLine($"add: {old} -> {value}");
    return value == 3 ? 0 : 1;
}

static byte[] Gunzip(string path)
{
    using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
    using var memory = new MemoryStream();
    gz.CopyTo(memory);
    return memory.ToArray();
}

static int Onnx(string model, string imagesPath, string labelsPath, string outPath)
{
    var images = Gunzip(imagesPath);
    var labels = Gunzip(labelsPath);
    const int pixels = 784, header = 16, labelHeader = 8, classes = 10;
    var count = (images.Length - header) / pixels;
    var scaled = new float[count * pixels];
    for (var i = 0; i < scaled.Length; i++)
        scaled[i] = images[header + i] / 255f;
    using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
    using var session = new InferenceSession(model, options);
    using var runOptions = new RunOptions();
    var started = System.Diagnostics.Stopwatch.StartNew();
    using var input = OrtValue.CreateTensorValueFromMemory(scaled, [count, pixels]);
    using var outputs = session.Run(runOptions, [session.InputNames[0]], [input], [session.OutputNames[0]]);
    var probabilities = outputs[0].GetTensorDataAsSpan<float>().ToArray();
    var seconds = started.Elapsed.TotalSeconds;
    using var csv = new StreamWriter(outPath);
    var correct = 0;
    for (var n = 0; n < count; n++)
    {
        var row = probabilities.AsSpan(n * classes, classes);
        var predicted = 0;
        for (var c = 1; c < classes; c++)
            if (row[c] > row[predicted])
                predicted = c;
        if (predicted == labels[labelHeader + n])
            correct++;
        csv.Write($"{n},{labels[labelHeader + n]},{predicted}");
        foreach (var p in row)
            csv.Write("," + p.ToString("R", CultureInfo.InvariantCulture));
        csv.WriteLine();
    }
    Console.WriteLine($"onnxruntime {OrtEnv.Instance().GetVersionString()}: {count} images, accuracy {(double)correct / count:F4}, run {seconds:F2} s");
    return 0;
}
