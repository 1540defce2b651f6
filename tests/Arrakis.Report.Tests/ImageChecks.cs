using System.Buffers.Binary;
using System.Xml.Linq;
using SkiaSharp;

namespace Arrakis.Report.Tests;

/// <summary>Decodes exported images: PNG by its header and pixels (SkiaSharp), SVG as XML.</summary>
internal static class ImageChecks
{
    /// <summary>The PNG's size from its IHDR chunk, after checking the signature.</summary>
    public static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.True(png.Length > 33, "a PNG is longer than its header");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    /// <summary>How many distinct colours the decoded image has (a blank image has one).</summary>
    public static int DistinctColours(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png) ?? throw new InvalidDataException("SkiaSharp could not decode the PNG.");
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
                colours.Add((uint)bitmap.GetPixel(x, y));
        return colours.Count;
    }

    /// <summary>The SVG's root after parsing, with its width and height.</summary>
    public static (XElement Root, double Width, double Height) Svg(string svg)
    {
        var doc = XDocument.Parse(svg);
        Assert.Equal("svg", doc.Root!.Name.LocalName);
        double Size(string name) => double.Parse(doc.Root!.Attribute(name)!.Value.Replace("px", ""), System.Globalization.CultureInfo.InvariantCulture);
        return (doc.Root, Size("width"), Size("height"));
    }
}
