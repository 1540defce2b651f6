using Arrakis.Plots;
using static TorchSharp.torch;

namespace Arrakis.Report.Tests;

/// <summary>The script global <c>Plot</c>: files the user names, queued figures, clear errors.</summary>
public sealed class PlotSessionTests
{
    [Fact]
    public void Save_WritesPngSvgHtmlAndJson_ByExtension()
    {
        using var dir = new TempFolder();
        var plot = new PlotSession(() => new Arrakis.Bench.ExperimentStore(dir.Path));
        using var scores = tensor(new float[] { 0.25f, 0.5f, 0.75f, 1 }).reshape(2, 2);
        Assert.Equal((720, 360), ImageChecks.PngSize(File.ReadAllBytes(plot.Save(scores, dir.File("a/scores.png")))));
        Assert.Equal(720, ImageChecks.Svg(File.ReadAllText(plot.Save(scores, dir.File("scores.svg")))).Width);
        Assert.Contains("data-value=\"0.75\"", File.ReadAllText(plot.Save(scores, dir.File("scores.html"))));
        Assert.IsType<HeatmapFigure>(FigureJson.Deserialize(File.ReadAllText(plot.Save(scores, dir.File("scores.json")))));
        var e = Assert.Throws<ArgumentException>(() => plot.Save(scores, dir.File("scores.bmp")));
        Assert.Contains(".bmp", e.Message);
    }

    [Fact]
    public void Show_QueuesTheDefaultViews_AndRefusesAValueWithoutOne()
    {
        using var dir = new TempFolder();
        var plot = new PlotSession(() => new Arrakis.Bench.ExperimentStore(dir.Path));
        plot.Show(SampleFigures.Bars());
        plot.Histogram("h", [1.0, 2, 3]);
        Assert.Equal(2, plot.Queue.Count);
        var e = Assert.Throws<ArgumentException>(() => plot.Show(new Uri("http://x")));
        Assert.Contains("No default view for a value of type Uri", e.Message);
        Assert.Equal(2, plot.Queue.Take().Count);
        Assert.Equal(0, plot.Queue.Count);
    }
}
