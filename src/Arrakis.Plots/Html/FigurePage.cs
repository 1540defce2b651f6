using System.Text;

namespace Arrakis.Plots;

/// <summary>A self-contained page of figures alone (no run): <c>Plot.Save(value, "x.html")</c>.</summary>
public static class FigurePage
{
    /// <summary>The page.</summary>
    public static string Render(IReadOnlyList<Figure> figures)
    {
        ArgumentNullException.ThrowIfNull(figures);
        var record = new Arrakis.Bench.ExperimentRecord { RunId = "figures", Experiment = "figures", CodeVersion = "-" };
        var stored = figures.Select(f => (f, new Arrakis.Bench.FigureRecord(f.Title, f.Kind, "", []))).ToList();
        return HtmlReport.Render(figures.Count == 1 ? figures[0].Title : "figures", [new ReportRun(record, null, stored)]);
    }
}
