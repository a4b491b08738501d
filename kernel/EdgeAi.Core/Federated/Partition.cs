using System.Globalization;
using MathNet.Numerics.Distributions;

namespace EdgeAi.Core.Federated;

/// <summary>How the nodes of a federation divide the training images they have (as Flower Datasets' partitioners).</summary>
public enum PartitionKind
{
    /// <summary>Each node trains on all the data it has: its own <c>--data</c> folder, the real edge case.</summary>
    None,
    /// <summary>An even, seeded random split: every node sees every class in the same proportions.</summary>
    Iid,
    /// <summary>Label skew: each class is divided among the nodes in proportions drawn from Dirichlet(alpha).</summary>
    Dirichlet,
    /// <summary>McMahan et al.'s pathological split: images sorted by label, cut into nodes*K shards, K per node.</summary>
    Shards,
}

/// <summary>
/// A partition scheme, written <c>none</c>, <c>iid</c>, <c>dirichlet:ALPHA</c> or <c>shards:K</c>. A node computes its own
/// part from (node index, node count, seed) out of the labels it has: nothing is shipped, and every node that has the
/// same data computes the same split.
/// </summary>
public sealed record Partition(PartitionKind Kind, double Alpha = 0, int ShardsPerNode = 0)
{
    public const string Allowed = "none, iid, dirichlet:ALPHA (ALPHA > 0, e.g. dirichlet:0.5) or shards:K (K 1-10, e.g. shards:2)";
    public const int MaxShardsPerNode = 10;

    /// <summary>The fewest images a node may be left with; the Dirichlet draw is repeated (seeded) until each has them,
    /// as Flower's DirichletPartitioner does.</summary>
    public const int MinImagesPerNode = 10;
    const int DirichletAttempts = 100;

    public static Partition Iid { get; } = new(PartitionKind.Iid);

    public static Partition Parse(string? text)
    {
        var value = (text ?? "").Trim().ToLowerInvariant();
        var colon = value.IndexOf(':');
        var (scheme, argument) = colon < 0 ? (value, null) : (value[..colon], value[(colon + 1)..]);
        switch (scheme)
        {
            case "none" when argument is null:
                return new Partition(PartitionKind.None);
            case "iid" when argument is null:
                return Iid;
            case "dirichlet" when double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var alpha):
                if (!(alpha > 0 && alpha <= 1e6))
                    throw new EdgeAiException($"Partition '{text}': alpha {argument} must be above 0 (and at most 1e6); small values skew labels more. Allowed: {Allowed}.");
                return new Partition(PartitionKind.Dirichlet, Alpha: alpha);
            case "shards" when int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var k):
                if (k is < 1 or > MaxShardsPerNode)
                    throw new EdgeAiException($"Partition '{text}': K {argument} is outside 1-{MaxShardsPerNode} (the classes a node holds). Allowed: {Allowed}.");
                return new Partition(PartitionKind.Shards, ShardsPerNode: k);
            default:
                throw new EdgeAiException($"Partition '{Store.Printable.Of(text)}' is not known. Allowed: {Allowed}.");
        }
    }

    public override string ToString() => Kind switch
    {
        PartitionKind.Dirichlet => string.Create(CultureInfo.InvariantCulture, $"dirichlet:{Alpha}"),
        PartitionKind.Shards => $"shards:{ShardsPerNode}",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The indices (into <paramref name="labels"/>) of node <paramref name="node"/>'s images, in ascending order.
    /// Throws, naming the node and the sizes, when the scheme would leave a node with fewer than
    /// <see cref="MinImagesPerNode"/> images.
    /// </summary>
    public int[] Indices(ReadOnlySpan<byte> labels, int node, int nodes, long seed)
    {
        if (nodes < 1 || node < 0 || node >= nodes)
            throw new EdgeAiException($"Node {node} is outside 0-{nodes - 1} (a federation of {nodes} nodes).");
        var parts = Kind switch
        {
            PartitionKind.None => null,
            PartitionKind.Iid => SplitIid(labels.Length, nodes, seed),
            PartitionKind.Dirichlet => SplitDirichlet(labels, nodes, seed),
            _ => SplitShards(labels, nodes, seed),
        };
        var mine = parts is null ? [.. Enumerable.Range(0, labels.Length)] : parts[node];
        if (mine.Length < MinImagesPerNode)
            throw new EdgeAiException($"Partition {this} leaves node {node} of {nodes} with {mine.Length} of {labels.Length} images; " +
                                      $"each node needs at least {MinImagesPerNode}: use fewer nodes, more data, or another partition.");
        Array.Sort(mine);
        return mine;
    }

    static int[][] SplitIid(int count, int nodes, long seed)
    {
        var order = Shuffled(Enumerable.Range(0, count).ToArray(), Random(seed, 1));
        return [.. Enumerable.Range(0, nodes).Select(n => order[(int)((long)count * n / nodes)..(int)((long)count * (n + 1) / nodes)])];
    }

    int[][] SplitDirichlet(ReadOnlySpan<byte> labels, int nodes, long seed)
    {
        var byClass = ByClass(labels);
        var random = Random(seed, 2);
        int[][] parts = [];
        for (var attempt = 0; attempt < DirichletAttempts; attempt++)
        {
            var lists = Enumerable.Range(0, nodes).Select(_ => new List<int>()).ToArray();
            foreach (var members in byClass)
            {
                var shuffled = Shuffled(members, random);
                // A Dirichlet draw is independent Gamma(alpha, 1) draws, normalised.
                var weights = Enumerable.Range(0, nodes).Select(_ => Gamma.Sample(random, Alpha, 1.0)).ToArray();
                var total = weights.Sum();
                var cumulative = 0.0;
                var from = 0;
                for (var n = 0; n < nodes; n++)
                {
                    cumulative += total > 0 ? weights[n] / total : 1.0 / nodes;
                    var to = n == nodes - 1 ? shuffled.Length : (int)Math.Round(cumulative * shuffled.Length);
                    lists[n].AddRange(shuffled[from..Math.Max(from, to)]);
                    from = Math.Max(from, to);
                }
            }
            parts = [.. lists.Select(l => l.ToArray())];
            if (parts.All(p => p.Length >= MinImagesPerNode))
                return parts;
        }
        return parts;   // still too small for some node: Indices names it
    }

    int[][] SplitShards(ReadOnlySpan<byte> labels, int nodes, long seed)
    {
        var random = Random(seed, 3);
        // Sorted by label, ties in a seeded order, so shards are runs of one or two classes.
        var order = ByClass(labels).SelectMany(members => Shuffled(members, random)).ToArray();
        var shards = nodes * ShardsPerNode;
        if (shards > order.Length)
            return [.. Enumerable.Range(0, nodes).Select(_ => Array.Empty<int>())];
        var assignment = Shuffled(Enumerable.Range(0, shards).ToArray(), random);
        return [.. Enumerable.Range(0, nodes).Select(n => assignment[(n * ShardsPerNode)..((n + 1) * ShardsPerNode)]
            .SelectMany(s => order[(int)((long)order.Length * s / shards)..(int)((long)order.Length * (s + 1) / shards)]).ToArray())];
    }

    static int[][] ByClass(ReadOnlySpan<byte> labels)
    {
        var lists = Enumerable.Range(0, 256).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < labels.Length; i++)
            lists[labels[i]].Add(i);
        return [.. lists.Where(l => l.Count > 0).Select(l => l.ToArray())];
    }

    // System.Random with a seed is the same sequence on every platform and .NET version (its seeded algorithm is kept
    // for compatibility), so every node draws the same split. A salt per scheme keeps the schemes' draws apart
    // (not HashCode.Combine: it is randomised per process).
    internal static Random Random(long seed, int salt) => new((int)((ulong)(seed * 1_000_003 + salt) % int.MaxValue));

    static int[] Shuffled(int[] items, Random random)
    {
        var copy = (int[])items.Clone();
        random.Shuffle(copy);
        return copy;
    }
}
