/// <summary>One way a peer trains: its PyTorch's variant (eager, fused Adam, torch.compile), the OpenBLAS kernel
/// family it runs with, and OpenBLAS's own threads beside PyTorch's.</summary>
sealed record Configuration(Peer Peer, string Torch, string Variant, string Forced, string Core, int BlasThreads, int Threads)
{
    /// <summary>pytorch_train.py's CONFIG values.</summary>
    public static readonly string[] Variants = ["eager", "fused", "compile"];

    public static string Describe(string variant) => variant switch
    {
        "eager" => "eager",
        "fused" => "fused Adam",
        "compile" => "torch.compile + fused Adam",
        _ => variant,
    };

    /// <summary>"1.13" of "1.13.0a0", "2.14" of "2.14.1+debian".</summary>
    public static string Short(string torch) => string.Join('.', torch.Split('.').Take(2));

    public string Label => $"PyTorch {Torch.Split('+')[0]} {Describe(Variant)}, OpenBLAS {Core}" +
                           (Threads > 1 ? $", {BlasThreads} OpenBLAS thread{(BlasThreads > 1 ? "s" : "")}" : "");

    public IReadOnlyDictionary<string, string?> Environment => PeerBlas.Environment(Forced, BlasThreads, Threads);
}
