using System.Text.Json.Nodes;
using Arrakis.Bench;
using Arrakis.Plots;
using Arrakis.Tools;

namespace Arrakis.Report.Tests;

/// <summary>A test tool whose result has a default view.</summary>
[Tool("fixed-scores")]
public interface IFixedScores
{
    HeadDetectionResult Scores(double best);
}

internal sealed class FixedScores : IFixedScores
{
    public HeadDetectionResult Scores(double best) => new("previous_token_head", ErrorMeasure.Mul, false, false, true,
        [new HeadScore(new HeadIndex(0, 0), best), new HeadScore(new HeadIndex(0, 1), 0.25), new HeadScore(new HeadIndex(1, 0), 0.5), new HeadScore(new HeadIndex(1, 1), 0.125)]);
}

public partial class PlotBench(HookedTransformer model, string saveDir, Action<string>? warn = null) : InterpretabilityBench(model, saveDir, null, warn)
{
    [UseTools("fixed-scores"), LogExperiment, PlotResults]
    public HeadDetectionResult Detect(double best, IFixedScores tool) => tool.Scores(best);

    [UseTools("fixed-scores"), LogExperiment]
    public double NoFigures(double best, IFixedScores tool) => tool.Scores(best).Scores[0].Score;

    [UseTools("fixed-scores"), LogExperiment, PlotResults]
    public string NoView(double best, IFixedScores tool) => $"best {best}";
}

/// <summary>[PlotResults] stores figures with the run as files named by the record; the report reads them back.</summary>
public sealed class StoredFigureTests
{
    private static PlotBench Bench(string dir)
    {
        var bench = new PlotBench(HandBuiltInduction.Create(), dir, warn: _ => { });
        bench.AddTool<IFixedScores>("fixed-scores", new FixedScores());
        return bench;
    }

    [Fact]
    public void PlotResults_StoresTheDefaultViewAsFiles_ReferencedFromTheRecord_NotInsideTheLine()
    {
        using var dir = new TempFolder();
        var bench = Bench(dir.Path);
        bench.Detect(0.875);
        var run = bench.LastRun!;
        var figure = Assert.Single(run.Figures);
        Assert.Equal("heatmap", figure.Kind);
        string experimentDir = bench.Store.ExperimentDirectory("PlotBench.Detect");
        Assert.StartsWith($"figures/{run.RunId}/", figure.Data);
        Assert.Equal([".svg", ".png"], figure.Files.Select(Path.GetExtension));
        foreach (var file in figure.Files.Append(figure.Data)) Assert.True(File.Exists(Path.Combine(experimentDir, file)), file);
        Assert.Equal((720, 360), ImageChecks.PngSize(File.ReadAllBytes(Path.Combine(experimentDir, figure.Files[1]))));

        var stored = (HeatmapFigure)FigureJson.Deserialize(File.ReadAllText(Path.Combine(experimentDir, figure.Data)));
        Assert.Equal(0.875, stored.Values[0][0]);
        // The line names the files; the figure's data is not in it.
        string line = File.ReadAllLines(Path.Combine(experimentDir, "runs.jsonl")).Single();
        var figures = (JsonArray)JsonNode.Parse(line)!["figures"]!;
        Assert.Equal(figure.Data, figures[0]!["data"]!.GetValue<string>());
        Assert.DoesNotContain("$kind", line);
        var read = Assert.Single(Assert.Single(bench.Store.ReadRuns("PlotBench.Detect")).Figures);
        Assert.Equal((figure.Title, figure.Kind, figure.Data), (read.Title, read.Kind, read.Data));
        Assert.Equal(figure.Files, read.Files);
    }

    [Fact]
    public void RunWithoutFigures_StillGetsAReport()
    {
        using var dir = new TempFolder();
        var bench = Bench(dir.Path);
        bench.NoFigures(0.5);
        Assert.Empty(bench.LastRun!.Figures);
        Assert.False(Directory.Exists(Path.Combine(bench.Store.ExperimentDirectory("PlotBench.NoFigures"), "figures")));
        string page = ReportBuilder.Write(bench.Store, "PlotBench.NoFigures", bench.LastRun.RunId);
        string html = File.ReadAllText(page);
        Assert.Contains("This run has no figures.", html);
        Assert.Contains(bench.LastRun.RunId, html);
        Assert.Contains("NoFigures(double best", html);   // the code version's source
    }

    [Fact]
    public void PlotResults_OnAResultWithoutAView_RecordsTheRunWithAWarning()
    {
        using var dir = new TempFolder();
        var bench = Bench(dir.Path);
        Assert.Equal("best 1", bench.NoView(1));
        Assert.Empty(bench.LastRun!.Figures);
        Assert.Contains(bench.LastRun.Warnings, w => w.Contains("no default view for a result of type String"));
    }

    [Fact]
    public void Report_OfAStoredRun_IsSelfContained_WithParametersSourceFiguresAndValues()
    {
        using var dir = new TempFolder();
        var bench = Bench(dir.Path);
        bench.Detect(0.875);
        bench.Detect(0.625);
        string page = ReportBuilder.Write(bench.Store, "PlotBench.Detect");
        Assert.Equal(ReportBuilder.DefaultPath(bench.Store, "PlotBench.Detect", null), page);
        string html = File.ReadAllText(page);
        Assert.Contains("<h3>Parameters</h3>", html);
        Assert.Contains("0.875", html);
        Assert.Contains("data-value=\"0.625\"", html);
        Assert.Equal(2, CountOf(html, "<figure class=\"figure\""));
        Assert.Equal(1, CountOf(html, "<pre class=\"source\">"));   // one code version, shown once
        // Nothing is fetched: no external script, style sheet, image or font.
        Assert.DoesNotContain("<script src", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", ""));
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public void UnknownRunId_IsAClearError_WithTheClosestIds()
    {
        using var dir = new TempFolder();
        var bench = Bench(dir.Path);
        bench.Detect(0.5);
        string id = bench.LastRun!.RunId;
        var e = Assert.Throws<KeyNotFoundException>(() => ReportBuilder.Load(bench.Store, "PlotBench.Detect", id[..^1] + "x"));
        Assert.Contains($"No run '{id[..^1]}x' of PlotBench.Detect", e.Message);
        Assert.Contains(id, e.Message);
        var unknown = Assert.Throws<KeyNotFoundException>(() => ReportBuilder.Load(bench.Store, "PlotBench.Detekt"));
        Assert.Contains("Closest: PlotBench.Detect", unknown.Message);
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;
}
