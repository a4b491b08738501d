using System.Diagnostics;
using EdgeAi.Core.Model;
using EdgeAi.Core.Native;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// The training step's eight matrix products, each timed alone on one thread at the shapes a step gives it, for a
/// whole batch and for the parts a split gives a worker: by rows (half the batch) and, for the first layer's weight
/// gradient, by hidden units (half the units over the whole batch). Prints microseconds a call and GFLOP/s beside
/// the measured FMA peak: where a step's milliseconds go, and how far each product is from the peak on its own.
/// </summary>
static class ProductProbe
{
    sealed record Product(string Name, int M, int N, int K, Func<int, (Tensor Out, Tensor A, Tensor B)> Make);

    public static int Run(double peak)
    {
        TorchNative.EnsureLoaded();
        torch.set_num_threads(1);
        const int inputs = MnistMlp.Inputs, hidden = MnistMlp.Hidden, classes = MnistMlp.Classes;
        // Laid out as MlpStep lays them: row-major buffers, transposed views where it multiplies by a transpose.
        var products = new List<Product>
        {
            new("hidden1 = pixels x W1^T", 0, hidden, inputs, n => (torch.empty(n, hidden), torch.rand(n, inputs), torch.rand(hidden, inputs).t())),
            new("hidden2 = hidden1 x W2^T", 0, hidden, hidden, n => (torch.empty(n, hidden), torch.rand(n, hidden), torch.rand(hidden, hidden).t())),
            new("logits = hidden2 x W3^T", 0, classes, hidden, n => (torch.empty(n, classes), torch.rand(n, hidden), torch.rand(classes, hidden).t())),
            new("dW3 = dlogits^T x hidden2", classes, hidden, 0, n => (torch.empty(classes, hidden), torch.rand(n, classes).t(), torch.rand(n, hidden))),
            new("dhidden2 = dlogits x W3", 0, hidden, classes, n => (torch.empty(n, hidden), torch.rand(n, classes), torch.rand(classes, hidden))),
            new("dW2 = dhidden2^T x hidden1", hidden, hidden, 0, n => (torch.empty(hidden, hidden), torch.rand(n, hidden).t(), torch.rand(n, hidden))),
            new("dhidden1 = dhidden2 x W2", 0, hidden, hidden, n => (torch.empty(n, hidden), torch.rand(n, hidden), torch.rand(hidden, hidden))),
            new("dW1 = dhidden1^T x pixels", hidden, inputs, 0, n => (torch.empty(hidden, inputs), torch.rand(n, hidden).t(), torch.rand(n, inputs))),
        };
        Console.WriteLine($"The step's products alone, one thread (us a call, GFLOP/s, % of the {peak:F1} GFLOP/s peak):");
        Console.WriteLine($"  {"product",-30} {"batch 128",22} {"half: 64 rows",22} {"batch 32",22} {"half: 16 rows",22}");
        var totals = new double[4];
        int[] rows = [128, 64, 32, 16];
        foreach (var product in products)
        {
            var cells = new List<string>();
            for (var i = 0; i < rows.Length; i++)
            {
                var (us, gflops) = Time(product.Make(rows[i]), Flops(product, rows[i]));
                totals[i] += us;
                cells.Add($"{us,7:F1} {gflops,6:F1} {100 * gflops / peak,4:F0} %");
            }
            Console.WriteLine($"  {product.Name,-30} {string.Join(" ", cells.Select(c => $"{c,22}"))}");
        }
        Console.WriteLine($"  {"all eight",-30} {string.Join(" ", totals.Select(t => $"{t,7:F1} us{"",12}"))}");
        var byUnits = new Product("dW1, half the units, all rows", hidden / 2, inputs, 0,
                                  n => (torch.empty(hidden / 2, inputs), torch.rand(n, hidden).narrow(1, 0, hidden / 2).t(), torch.rand(n, inputs)));
        var unitCells = new[] { 128, 32 }.Select(n =>
        {
            var (us, gflops) = Time(byUnits.Make(n), Flops(byUnits, n));
            return $"batch {n}: {us:F1} us, {gflops:F1} GFLOP/s, {100 * gflops / peak:F0} %";
        });
        Console.WriteLine($"  {byUnits.Name,-30} {string.Join("; ", unitCells)}");
        return 0;
    }

    static double Flops(Product p, int n) => 2.0 * (p.M == 0 ? n : p.M) * p.N * (p.K == 0 ? n : p.K);

    /// <summary>The best of five rounds of a tenth of a second of <c>out = a x b</c> into the preallocated output.</summary>
    static (double Us, double Gflops) Time((Tensor Out, Tensor A, Tensor B) operands, double flops)
    {
        var (output, a, b) = operands;
        using (output)
        using (a)
        using (b)
        {
            for (var i = 0; i < 200; i++)
                output.addmm_(a, b, beta: 0);
            var best = double.MaxValue;
            for (var round = 0; round < 5; round++)
            {
                var calls = 0;
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed.TotalSeconds < 0.1)
                {
                    output.addmm_(a, b, beta: 0);
                    calls++;
                }
                best = Math.Min(best, clock.Elapsed.TotalMicroseconds / calls);
            }
            return (best, flops / best / 1e3);
        }
    }
}
