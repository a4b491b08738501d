using EdgeAi.Core.Federated;
using EdgeAi.Core.Tests.Support;

namespace EdgeAi.Core.Tests.Federated;

/// <summary>The partitioners on Fashion-MNIST's 60,000 training labels: what each node holds.</summary>
public sealed class PartitionTests(TrainedFashionModel fashion)
{
    byte[] Labels => fashion.Dataset.Train.Labels;

    int[][] Parts(string scheme, int nodes = 4, long seed = 7) =>
        [.. Enumerable.Range(0, nodes).Select(n => Partition.Parse(scheme).Indices(Labels, n, nodes, seed))];

    [Theory, Trait("Needs", "fashion-mnist")]
    [InlineData("iid")]
    [InlineData("dirichlet:0.5")]
    [InlineData("shards:2")]
    public void Every_image_goes_to_exactly_one_node_and_the_split_is_the_same_on_every_call(string scheme)
    {
        var parts = Parts(scheme);
        Assert.Equal(Labels.Length, parts.Sum(p => p.Length));
        Assert.Equal(Labels.Length, parts.SelectMany(p => p).Distinct().Count());
        Assert.Equal(parts, Parts(scheme));                      // each node computes its own part: they must agree
        Assert.NotEqual(parts[0], Parts(scheme, seed: 8)[0]);    // and the seed matters
    }

    [Fact, Trait("Needs", "fashion-mnist")]
    public void Iid_gives_every_node_every_class_in_about_the_same_share()
    {
        foreach (var part in Parts("iid"))
        {
            Assert.InRange(part.Length, 14_999, 15_001);
            foreach (var count in ClassCounts(part))
                Assert.InRange(count / (double)part.Length, 0.08, 0.12);   // Fashion-MNIST is balanced: 10 % each
        }
    }

    [Fact, Trait("Needs", "fashion-mnist")]
    public void Shards_give_each_node_few_classes()
    {
        foreach (var part in Parts("shards:2"))
        {
            var counts = ClassCounts(part).OrderDescending().ToArray();
            // Two shards of 7,500 images sorted by label (classes have 6,000): a shard is one class or straddles two, so a
            // node holds 2-4 classes, two of them most of its images (as McMahan et al.'s split).
            Assert.True(counts[0] + counts[1] >= 0.6 * part.Length, $"top two classes hold {counts[0] + counts[1]} of {part.Length}");
            Assert.InRange(counts.Count(c => c > 0), 2, 4);
        }
    }

    [Fact, Trait("Needs", "fashion-mnist")]
    public void Dirichlet_skews_labels_more_as_alpha_falls()
    {
        static double Skew(int[][] parts, byte[] labels) =>
            parts.Average(p => ClassCounts(p, labels).Max() / (double)p.Length);   // the largest class's share, on average
        var iid = Skew(Parts("iid"), Labels);
        var mild = Skew(Parts("dirichlet:10"), Labels);
        var strong = Skew(Parts("dirichlet:0.1"), Labels);
        Assert.True(iid < mild && mild < strong, $"largest-class share: iid {iid:F3}, alpha 10 {mild:F3}, alpha 0.1 {strong:F3}");
        Assert.True(strong > 0.4, $"alpha 0.1: {strong:F3}");
    }

    [Fact]
    public void None_gives_the_node_all_of_its_own_data()
    {
        byte[] labels = [.. Enumerable.Range(0, 50).Select(i => (byte)(i % 10))];
        Assert.Equal(Enumerable.Range(0, 50), Partition.Parse("none").Indices(labels, 2, 4, 0));
    }

    [Theory]
    [InlineData("random", "Partition 'random' is not known. Allowed: none, iid, dirichlet:ALPHA")]
    [InlineData("dirichlet:0", "alpha 0 must be above 0")]
    [InlineData("dirichlet:-1", "alpha -1 must be above 0")]
    [InlineData("dirichlet:abc", "Partition 'dirichlet:abc' is not known")]
    [InlineData("shards:0", "K 0 is outside 1-10")]
    [InlineData("shards:11", "K 11 is outside 1-10")]
    [InlineData("iid:3", "Partition 'iid:3' is not known")]
    public void Unknown_schemes_and_bad_parameters_are_named_with_what_is_allowed(string scheme, string message)
    {
        var e = Assert.Throws<EdgeAiException>(() => Partition.Parse(scheme));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_node_left_with_too_few_images_is_named()
    {
        byte[] labels = [.. Enumerable.Range(0, 60).Select(i => (byte)(i % 10))];
        var e = Assert.Throws<EdgeAiException>(() => Partition.Parse("iid").Indices(labels, 5, 8, 0));
        Assert.Contains("leaves node 5 of 8 with 8 of 60 images", e.Message);   // images 37-44
        Assert.Contains($"at least {Partition.MinImagesPerNode}", e.Message);
    }

    static int[] ClassCounts(int[] part, byte[] labels)
    {
        var counts = new int[10];
        foreach (var i in part)
            counts[labels[i]]++;
        return counts;
    }

    int[] ClassCounts(int[] part) => ClassCounts(part, Labels);
}
