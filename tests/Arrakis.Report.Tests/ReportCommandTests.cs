using Arrakis.Bench;

namespace Arrakis.Report.Tests;

/// <summary><c>arrakis report</c> and the report line of <c>arrakis experiments show</c>, as a process.</summary>
public sealed class ReportCommandTests
{
    private static (TempFolder Dir, string RunId) Stored()
    {
        var dir = new TempFolder();
        var bench = new PlotBench(HandBuiltInduction.Create(), dir.Path, warn: _ => { });
        bench.AddTool<IFixedScores>("fixed-scores", new FixedScores());
        bench.Detect(0.75);
        return (dir, bench.LastRun!.RunId);
    }

    [Fact]
    public void Report_WritesThePage_AndExperimentsShowLinksIt()
    {
        var (dir, id) = Stored();
        using var _ = dir;
        var before = ArrakisCli.Run("experiments", "show", "PlotBench.Detect", "--out", dir.Path);
        Assert.Contains($"report: arrakis report PlotBench.Detect --run {id}", before.Out);
        string html = dir.File("page.html");
        var result = ArrakisCli.Run("report", "PlotBench.Detect", "--run", id, "--out", dir.Path, "--html", html);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(html, result.Out.Trim());
        Assert.Contains("data-kind=\"heatmap\"", File.ReadAllText(html));
        // The default place, then shown by experiments show.
        Assert.Equal(0, ArrakisCli.Run("report", "PlotBench.Detect", "--run", id, "--out", dir.Path).ExitCode);
        var after = ArrakisCli.Run("experiments", "show", "PlotBench.Detect", "--out", dir.Path);
        Assert.Contains($"report: file://{Path.Combine(dir.Path, "PlotBench.Detect", "reports", id + ".html")}", after.Out);
    }

    [Fact]
    public void UnknownRun_ExitsWithBadInput_NamingTheClosestRunIds()
    {
        var (dir, id) = Stored();
        using var _ = dir;
        var result = ArrakisCli.Run("report", "PlotBench.Detect", "--run", "2026", "--out", dir.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("No run '2026' of PlotBench.Detect", result.Error);
        Assert.Contains(id, result.Error);
        var experiment = ArrakisCli.Run("report", "PlotBench.Detec", "--out", dir.Path);
        Assert.Equal(2, experiment.ExitCode);
        Assert.Contains("Closest: PlotBench.Detect", experiment.Error);
    }
}
