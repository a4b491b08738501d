namespace EdgeAi.TestSupport;

/// <summary>What a user's notebook names to get our kernel, in ./lab, the image and behind a hub.</summary>
public static class Kernelspec
{
    /// <summary>Polyglot Notebooks opens an .ipynb as a .NET notebook only when this starts with `.net-`; it must not
    /// be dotnet-interactive's own `.net-csharp`, which a user may have installed without our launcher.</summary>
    public const string Name = ".net-csharp-edgeai";
}
