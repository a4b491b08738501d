using System.Globalization;

namespace EdgeAi.Serving;

/// <summary>
/// The fast path for an inference request's <c>data</c>: a JSON array (nested or flat) of plain numbers, found and
/// read straight from the bytes. Written by hand because System.Text.Json's reader costs about 60 ns a number, so
/// reading one image's 784 pixels with it took longer than the model's forward pass; this takes a few ns a byte.
/// It only ever accepts what the JSON grammar accepts and answers the same values as the reader would: anything else
/// (a string, an object, a malformed number, a value out of range, too deep, the wrong count) makes it return false,
/// and the caller goes through System.Text.Json, which names what is wrong.
/// </summary>
static class NumberArray
{
    /// <summary>The index of the ']' that closes the array opening at <paramref name="start"/>, if what lies between
    /// is only arrays, numbers, commas and whitespace as JSON writes them, nested at most
    /// <paramref name="maxNesting"/> arrays deep. If every number is a whole number 0-255 written without sign,
    /// fraction or exponent (what <c>TryGetInt32</c> reads as 0-255), <paramref name="bytes"/> holds them in order
    /// (UINT8 pixels, read in the same pass); else it is null.</summary>
    public static bool TryFindEnd(ReadOnlySpan<byte> json, int start, int maxNesting, out int end, out byte[]? bytes)
    {
        end = -1;
        bytes = null;
        if (start >= json.Length || json[start] != '[')
            return false;
        var values = new byte[(json.Length - start) / 2 + 1];   // a number and its comma take at least two bytes
        var count = 0;
        var allBytes = true;
        var depth = 0;
        var expectValue = true;    // after '[' or ','
        var closeAllowed = true;   // after '[' (an empty array) or a value, not after ','
        for (var i = start; i < json.Length; i++)
        {
            var c = json[i];
            if (IsDigit(c))
            {
                // The common case first, in this loop: a whole number. Anything longer goes to NumberLength.
                if (!expectValue)
                    return false;
                var j = i + 1;
                var whole = c - '0';
                if (c != '0')
                    for (; j < json.Length && IsDigit(json[j]) && j - i <= 3; j++)
                        whole = whole * 10 + (json[j] - '0');
                if (j < json.Length && json[j] is (byte)'.' or (byte)'e' or (byte)'E' || (j < json.Length && IsDigit(json[j])))
                {
                    var length = NumberLength(json[i..]);   // a fraction, an exponent, or more than three digits
                    if (length == 0)
                        return false;
                    allBytes = false;
                    j = i + length;
                }
                else if (allBytes && whole <= 255)
                    values[count++] = (byte)whole;
                else
                    allBytes = false;
                i = j - 1;
                expectValue = false;
                closeAllowed = true;
                continue;
            }
            switch (c)
            {
                case (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r':
                    break;
                case (byte)'[':
                    if (!expectValue || ++depth > maxNesting)
                        return false;
                    closeAllowed = true;
                    break;
                case (byte)']':
                    if (!closeAllowed)
                        return false;
                    if (--depth == 0)
                    {
                        end = i;
                        if (allBytes)
                            bytes = values.AsSpan(0, count).ToArray();
                        return true;
                    }
                    expectValue = false;
                    break;
                case (byte)',':
                    if (expectValue)
                        return false;
                    expectValue = true;
                    closeAllowed = false;
                    break;
                case (byte)'-':
                    if (!expectValue)
                        return false;
                    var signed = NumberLength(json[i..]);
                    if (signed == 0)
                        return false;
                    allBytes = false;
                    i += signed - 1;
                    expectValue = false;
                    closeAllowed = true;
                    break;
                default:
                    return false;
            }
        }
        return false;
    }

    /// <summary>The length of the JSON number that <paramref name="text"/> starts with
    /// (<c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>), or 0 if it does not start with one.</summary>
    static int NumberLength(ReadOnlySpan<byte> text)
    {
        var i = 0;
        if (i < text.Length && text[i] == '-')
            i++;
        if (i >= text.Length || !IsDigit(text[i]))
            return 0;
        if (text[i++] != '0')
            while (i < text.Length && IsDigit(text[i]))
                i++;
        if (i < text.Length && text[i] == '.')
        {
            if (++i >= text.Length || !IsDigit(text[i]))
                return 0;
            while (i < text.Length && IsDigit(text[i]))
                i++;
        }
        if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
        {
            if (++i < text.Length && (text[i] == '+' || text[i] == '-'))
                i++;
            if (i >= text.Length || !IsDigit(text[i]))
                return 0;
            while (i < text.Length && IsDigit(text[i]))
                i++;
        }
        return i;
    }

    static bool IsDigit(byte c) => (uint)(c - '0') <= 9;

    static readonly double[] PowersOfTen = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    /// <summary>The numbers of an array <see cref="TryFindEnd"/> accepted, as floats, if there are exactly
    /// <c>values.Length</c> of them and each is in [0, 1]: each the double nearest the decimal, then rounded to float,
    /// as <c>(float)TryGetDouble</c> gives.</summary>
    public static bool TryReadUnitFloats(ReadOnlySpan<byte> array, Span<float> values)
    {
        var n = 0;
        for (var i = 0; i < array.Length; i++)
        {
            var c = array[i];
            if (!IsDigit(c) && c != '-')
                continue;   // brackets, commas, whitespace
            var length = NumberLength(array[i..]);
            var number = array.Slice(i, length);
            if (n == values.Length || !TryParseUnit(number, out var value))
                return false;
            values[n++] = (float)value;
            i += length - 1;
        }
        return n == values.Length;
    }

    static bool TryParseUnit(ReadOnlySpan<byte> number, out double value)
    {
        // Clinger's fast path: a decimal of at most 15 significant digits and at most 22 after the point is a double
        // divided by an exact power of ten, and one IEEE division rounds it correctly. Pixels (0, 1, 0.5137255) are.
        ulong mantissa = 0;
        int digits = 0, fraction = -1;
        var simple = number.Length <= 24;
        foreach (var c in number)
        {
            if (c == '.')
                fraction = 0;
            else if (IsDigit(c) && simple)
            {
                mantissa = mantissa * 10 + (ulong)(c - '0');
                if (mantissa != 0 && ++digits > 15)
                    simple = false;
                if (fraction >= 0)
                    fraction++;
            }
            else
                simple = false;   // '-' or an exponent: the general parser
        }
        value = simple && fraction <= 22
            ? mantissa / PowersOfTen[Math.Max(fraction, 0)]
            : double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture);
        return value is >= 0 and <= 1;
    }
}
