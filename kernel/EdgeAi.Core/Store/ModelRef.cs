using System.Text.RegularExpressions;

namespace EdgeAi.Core.Store;

/// <summary>A model in the store, <c>NAME</c> or <c>NAME@VERSION</c> (VERSION: a number, vN, or latest).</summary>
public sealed partial record ModelRef(string Name, int? Version)
{
    public const string BaseName = "mnist-mlp";

    /// <summary>Who the default model belongs to: JupyterHub's user, else EDGEAI_USER (a class without a hub).</summary>
    public static readonly string[] UserVariables = ["JUPYTERHUB_USER", "EDGEAI_USER"];

    /// <summary>
    /// mnist-mlp, or mnist-mlp-USER where a user is known, so that one student's training does not move another's
    /// latest, and the store keeps each student's own last versions (retention counts per name).
    /// </summary>
    public static string DefaultName => ForUser(UserVariables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(u => !string.IsNullOrWhiteSpace(u)));

    /// <summary>The default name for <paramref name="user"/>: lowercased, each run of characters a name cannot hold
    /// made one '-', cut to fit 64 characters; no user, or nothing usable left, gives mnist-mlp.</summary>
    public static string ForUser(string? user)
    {
        var part = Regex.Replace((user ?? "").ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
        part = part[..Math.Min(part.Length, 64 - BaseName.Length - 1)].TrimEnd('-');
        return part.Length == 0 ? BaseName : $"{BaseName}-{part}";
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,63}\z")]   // \z: "$" would also match before a final newline
    private static partial Regex NamePattern();

    public static ModelRef Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return new ModelRef(DefaultName, null);
        var at = text.IndexOf('@');
        var name = at < 0 ? text.Trim() : text[..at].Trim();
        ValidateName(name);
        if (at < 0)
            return new ModelRef(name, null);

        var version = text[(at + 1)..].Trim();
        if (version is "latest")
            return new ModelRef(name, null);
        var digits = version.StartsWith('v') ? version[1..] : version;
        if (int.TryParse(digits, System.Globalization.NumberStyles.None, null, out var number) && number >= 1)
            return new ModelRef(name, number);
        throw new EdgeAiException(
            $"Version '{version}' in '{text}' is not valid: use a whole number from 1 (e.g. {name}@3 or {name}@v3) or 'latest'.");
    }

    public static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name) || name.Contains(".."))
            throw new EdgeAiException(
                $"Model name '{name}' is not allowed: use 1-64 lowercase letters, digits, '.', '_' or '-', " +
                "starting with a letter or digit (no '/', no '..'), e.g. mnist-mlp.");
    }

    public override string ToString() => Version is { } v ? $"{Name}@v{v}" : $"{Name}@latest";
}
