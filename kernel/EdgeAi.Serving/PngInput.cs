using EdgeAi.Core.Model;
using StbImageSharp;

namespace EdgeAi.Serving;

/// <summary>
/// A PNG a person sends with curl, made into the model's input: grey, 28x28 by averaging each cell of the image
/// (any size up to <see cref="MaxSide"/>), and inverted when its border is light, since the model was trained on
/// light digits or garments on black (as MNIST and Fashion-MNIST are), while a drawing is usually dark on white.
/// </summary>
public static class PngInput
{
    public const int MaxSide = 4096;
    static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The 784 pixels (0-255) of <paramref name="png"/>; <paramref name="invert"/>: "auto", "true" or "false".</summary>
    public static byte[] Pixels(ReadOnlySpan<byte> png, string? invert)
    {
        var mode = invert?.ToLowerInvariant() switch
        {
            null or "" or "auto" => (bool?)null,
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw OipError.BadRequest($"invert={Core.Store.Printable.Of(invert!)} is not known: use auto, true or false."),
        };
        // The size is read from the IHDR chunk before decoding, so a small file cannot claim a huge image.
        if (png.Length < 33 || !png[..8].SequenceEqual(Signature) || !png[12..16].SequenceEqual("IHDR"u8))
            throw OipError.BadRequest("The body is not a PNG file (send one with curl --data-binary @digit.png -H 'Content-Type: image/png').");
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png[16..20]);
        var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png[20..24]);
        if (width is < 1 or > MaxSide || height is < 1 or > MaxSide)
            throw OipError.BadRequest($"The PNG is {width}x{height}; each side must be 1-{MaxSide} pixels.");
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(png.ToArray(), ColorComponents.Grey);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException or OverflowException)
        {
            throw OipError.BadRequest($"The PNG could not be decoded: {Core.Store.Printable.Of(e.Message)}");
        }
        if (image.Width != width || image.Height != height || image.Data.Length < width * height)
            throw OipError.BadRequest("The PNG could not be decoded: its data does not match its header.");
        var pixels = Downscale(image.Data, width, height);
        var light = mode ?? BorderMean(image.Data, width, height) > 127;
        if (light)
            for (var i = 0; i < pixels.Length; i++)
                pixels[i] = (byte)(255 - pixels[i]);
        return pixels;
    }

    /// <summary>Each of the 28x28 output pixels is the mean of the source pixels whose centres fall in its cell
    /// (nearest pixel for an image smaller than 28 on a side).</summary>
    static byte[] Downscale(byte[] grey, int width, int height)
    {
        const int side = 28;
        var result = new byte[MnistMlp.Inputs];
        for (var y = 0; y < side; y++)
        {
            int y0 = y * height / side, y1 = Math.Max(y0 + 1, (y + 1) * height / side);
            for (var x = 0; x < side; x++)
            {
                int x0 = x * width / side, x1 = Math.Max(x0 + 1, (x + 1) * width / side);
                long sum = 0;
                for (var sy = y0; sy < y1; sy++)
                    for (var sx = x0; sx < x1; sx++)
                        sum += grey[sy * width + sx];
                result[y * side + x] = (byte)((sum + (y1 - y0) * (x1 - x0) / 2) / ((y1 - y0) * (x1 - x0)));
            }
        }
        return result;
    }

    static double BorderMean(byte[] grey, int width, int height)
    {
        long sum = 0, n = 0;
        for (var x = 0; x < width; x++)
        {
            sum += grey[x] + grey[(height - 1) * width + x];
            n += 2;
        }
        for (var y = 0; y < height; y++)
        {
            sum += grey[y * width] + grey[y * width + width - 1];
            n += 2;
        }
        return (double)sum / n;
    }
}
