using System.Globalization;

namespace EdgeAi.Interactive.Magics;

/// <summary>
/// Magic options arrive as text (the commands bind them to string properties), so a value that is not a number
/// is reported with the value itself and what is allowed, rather than as a JSON conversion error.
/// </summary>
sealed class OptionText(List<string> errors)
{
    public int Int(string? text, string option, int fallback, string allowed) =>
        text is null ? fallback
        : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
        : Bad(text, option, "a whole number", allowed, fallback);

    public long? Long(string? text, string option, string allowed) =>
        text is null ? null
        : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
        : Bad<long?>(text, option, "a whole number", allowed, null);

    public double Double(string? text, string option, double fallback, string allowed) =>
        text is null ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
        : Bad(text, option, "a number", allowed, fallback);

    T Bad<T>(string text, string option, string kind, string allowed, T fallback)
    {
        errors.Add($"{option} '{text}' is not {kind}; use {allowed}.");
        return fallback;
    }
}
