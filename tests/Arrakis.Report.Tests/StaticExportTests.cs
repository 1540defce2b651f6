using Arrakis.Plots;

namespace Arrakis.Report.Tests;

/// <summary>PNG and SVG exports decode to images of the asked size that are not blank, for every figure kind.</summary>
public sealed class StaticExportTests
{
    public static TheoryData<string> Kinds() => new(SampleFigures.All().Select(f => f.Kind));

    private static Figure Sample(string kind) => SampleFigures.All().Single(f => f.Kind == kind);

    [Theory, MemberData(nameof(Kinds))]
    public void Png_DecodesToTheAskedSize_AndIsNotBlank(string kind)
    {
        byte[] png = StaticExport.Png(Sample(kind), 800, 500);
        Assert.Equal((800, 500), ImageChecks.PngSize(png));
        // Axes, labels, a colour bar or bars: a drawn figure has many colours (a blank canvas has one).
        Assert.True(ImageChecks.DistinctColours(png) >= 8, $"{kind}: only {ImageChecks.DistinctColours(png)} colours");
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Svg_ParsesWithTheAskedSize_AndDrawsShapesAndText(string kind)
    {
        var (root, width, height) = ImageChecks.Svg(StaticExport.Svg(Sample(kind), 640, 480));
        Assert.Equal(640, width);
        Assert.Equal(480, height);
        var names = root.Descendants().Select(e => e.Name.LocalName).ToList();
        Assert.Contains("text", names);
        Assert.True(names.Count(n => n is "rect" or "path" or "line" or "polyline" or "image" or "circle" or "ellipse") >= 3, string.Join(",", names.Distinct()));
    }

    [Fact]
    public void HeatmapSvg_LabelsItsAxesWithTheTokens()
    {
        string svg = StaticExport.Svg(SampleFigures.Heatmap());
        foreach (string label in new[] { "0: &lt;bos&gt;", "3: C", "final_post", "0_pre" }) Assert.Contains(label, svg);
    }

    [Fact]
    public void DefaultSize_GrowsWithTheLabels()
    {
        var small = StaticExport.DefaultSize(SampleFigures.Heatmap());
        var wide = new HeatmapFigure("wide", ["r"], Enumerable.Range(0, 60).Select(i => i.ToString()).ToList(), [Enumerable.Range(0, 60).Select(i => (double)i).ToArray()]);
        Assert.True(StaticExport.DefaultSize(wide).Width > small.Width);
        Assert.Equal(StaticExport.DefaultSize(wide), ImageChecks.PngSize(StaticExport.Png(wide)));
    }

    [Fact]
    public void Save_RefusesAnUnknownExtension_NamingIt()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<ArgumentException>(() => StaticExport.Save(SampleFigures.Bars(), dir.File("dla.gif")));
        Assert.Equal("path", e.ParamName);
        Assert.Contains(".gif", e.Message);
        Assert.False(File.Exists(dir.File("dla.gif")));
    }
}
