using System.Diagnostics;
using System.Text;
using EdgeAi.Core.Data;
using EdgeAi.Core.Model;
using EdgeAi.Core.Store;
using TorchSharp.PyBridge;

namespace EdgeAi.Core.Tests.Security;

/// <summary>
/// The three readers of untrusted files (docs/security.md), each fed 10,000 mutations of a valid file with a fixed seed:
/// every input ends in an <see cref="EdgeAiException"/> with a message, or reads as something valid. No other
/// exception, no input slower than <see cref="MaxSecondsPerInput"/>, and the process's memory grows by less
/// than <see cref="MaxGrowthBytes"/> (the valid files are 16 KB to 0.5 MB; a reader that trusted a header would take gigabytes).
/// The process's peak memory is what is measured, so these run alone, after every test that runs in parallel (a
/// federation of four in-process nodes beside them would be counted as the reader's).
/// </summary>
[Collection(nameof(FuzzTests))]
public sealed class FuzzTests : IDisposable
{
    const int Inputs = 10_000;
    const double MaxSecondsPerInput = 2;
    const long MaxGrowthBytes = 400L << 20;
    readonly TempDirectory temp = new();
    public void Dispose() => temp.Dispose();

    [Fact]
    public void Idx_reader()
    {
        var raw = temp.Combine("images");
        var gz = temp.Combine("images.gz");
        Idx.Write(raw, IdxFile.ImagesMagic, [20, 28, 28], Enumerable.Range(0, 20 * 784).Select(i => (byte)(i * 7)).ToArray());
        Idx.Write(gz, IdxFile.ImagesMagic, [20, 28, 28], Enumerable.Range(0, 20 * 784).Select(i => (byte)(i * 7)).ToArray(), gzip: true);
        var labels = temp.Combine("labels");
        Idx.Write(labels, IdxFile.LabelsMagic, [20], Enumerable.Range(0, 20).Select(i => (byte)(i % 10)).ToArray());
        var seeds = new[] { File.ReadAllBytes(raw), File.ReadAllBytes(gz), File.ReadAllBytes(labels) };
        var target = temp.Combine("fuzzed");
        Run("IDX", seed: 11, input => seeds[input % 3], (bytes, index) =>
        {
            File.WriteAllBytes(target, bytes);
            if (index % 3 == 2)
                IdxFile.ReadLabels(target);
            else
                IdxFile.ReadImages(target);
        }, headerBytes: 16);
    }

    [Fact, Trait("Needs", "libtorch")]
    public void Safetensors_header()
    {
        using var model = new MnistMlp(seed: 3);
        using var buffer = new MemoryStream();
        model.save_safetensors(buffer, leaveOpen: true);
        var valid = buffer.ToArray();
        var headerLength = (int)BitConverter.ToUInt64(valid, 0) + 8;
        using var target = new MnistMlp();
        Run("safetensors", seed: 12, _ => valid, (bytes, _) =>
        {
            SafetensorsHeader.Check(bytes, "fuzzed.safetensors", "The fuzzed weights");
            using var stream = new MemoryStream(bytes, writable: false);
            target.load_safetensors(stream, strict: true);   // what passed the check must load
        }, headerBytes: headerLength);
    }

    [Fact, Trait("Needs", "libtorch")]
    public void Manifest_json()
    {
        var store = new WeightStore(temp.Combine("books"));
        using (var model = new MnistMlp(seed: 4))
            store.Save("fuzz", model);
        var path = temp.Combine("books", "fuzz", "v000001", ModelManifest.ManifestFile);
        var valid = File.ReadAllBytes(path);
        var reference = ModelRef.Parse("fuzz@1");
        Run("manifest", seed: 13, _ => valid, (bytes, _) =>
        {
            File.WriteAllBytes(path, bytes);
            store.ReadManifest(reference);
        }, headerBytes: valid.Length, text: true);
    }

    void Run(string reader, int seed, Func<int, byte[]> seedFor, Action<byte[], int> read, int headerBytes, bool text = false)
    {
        var random = new Random(seed);
        var (valid, refused) = (0, 0);
        var slowest = TimeSpan.Zero;
        ResetPeakRss();
        var baseline = PeakRss();
        var clock = new Stopwatch();
        for (var i = 0; i < Inputs; i++)
        {
            // Garbage the collector has not yet come for is not the reader's memory: what a reader keeps, or allocates
            // at once for one input (a header that claims gigabytes), still is.
            if (i % 256 == 0)
                GC.Collect();
            var input = Mutate(seedFor(i), random, headerBytes, text);
            clock.Restart();
            try
            {
                read(input, i);
                valid++;
            }
            catch (EdgeAiException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message), $"input {i}: an error without a message");
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{reader} input {i} (seed {seed}) ended in {e.GetType().Name}: {e.Message}");
            }
            if (clock.Elapsed > slowest)
                slowest = clock.Elapsed;
        }
        var growth = PeakRss() - baseline;
        Report.Line("fuzz", $"{reader}: {Inputs} mutated inputs (seed {seed}): {valid} read as valid, {refused} refused with a message, " +
                         $"0 other exceptions; slowest input {slowest.TotalMilliseconds:F0} ms (bound {MaxSecondsPerInput} s); " +
                         $"peak RSS grew {growth / (1 << 20)} MiB (bound {MaxGrowthBytes / (1 << 20)} MiB)");
        Assert.True(refused > Inputs / 10, $"only {refused} inputs were refused: the mutations do not reach the reader's checks");
        Assert.True(slowest.TotalSeconds < MaxSecondsPerInput, $"{reader}: an input took {slowest.TotalSeconds:F1} s");
        Assert.True(growth < MaxGrowthBytes, $"{reader}: peak RSS grew by {growth:N0} bytes");
    }

    /// <summary>1-4 edits, most of them in the header where the lengths, counts and offsets are: flipped bits,
    /// boundary values, cut, repeated or inserted bytes; for JSON also numbers, nulls and strings swapped in.</summary>
    static byte[] Mutate(byte[] valid, Random random, int headerBytes, bool text)
    {
        var bytes = new List<byte>(valid);
        for (var edits = random.Next(1, 5); edits > 0 && bytes.Count > 0; edits--)
        {
            var at = random.Next(100) < 85 ? random.Next(Math.Min(headerBytes, bytes.Count)) : random.Next(bytes.Count);
            switch (random.Next(text ? 8 : 6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)new[] { 0, 0xFF, 0x7F, 0x80, 0x01, random.Next(256) }[random.Next(6)];
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    bytes.InsertRange(at, bytes.Skip(at).Take(random.Next(1, 64)).ToArray());
                    break;
                case 4:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 16), bytes.Count - at));
                    break;
                case 5:
                    var word = new[] { 0, -1, int.MaxValue, int.MinValue, 1 << 24, random.Next() }[random.Next(6)];
                    for (var k = 0; k < 4 && at + k < bytes.Count; k++)
                        bytes[at + k] = (byte)(word >> (8 * (3 - k)));
                    break;
                default:
                    var token = new[] { "null", "-1", "1e309", "99999999999999999999", "\"\"", "[]", "{}", "\"../../etc/passwd\"", "\"\\u0000\"" }[random.Next(9)];
                    var value = Encoding.UTF8.GetString(bytes.ToArray());
                    var colon = value.IndexOf(':', at % Math.Max(1, value.Length));
                    if (colon < 0)
                        break;
                    var end = value.IndexOfAny([',', '}', ']'], colon + 1);
                    bytes = [.. Encoding.UTF8.GetBytes(value[..(colon + 1)] + token + (end < 0 ? "" : value[end..]))];
                    break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>Starts the peak over from the current RSS (Linux 4.0+: "5" to clear_refs), so that the growth is this
    /// reader's and not an earlier test's high-water mark hiding it.</summary>
    static void ResetPeakRss() => File.WriteAllText("/proc/self/clear_refs", "5");

    static long PeakRss() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
}

[CollectionDefinition(nameof(FuzzTests), DisableParallelization = true)]
public sealed class FuzzTestsRunAlone;
