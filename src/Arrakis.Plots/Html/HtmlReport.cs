using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Arrakis.Bench;

namespace Arrakis.Plots;

/// <summary>One run as the report shows it: its record, the source of its code version, its figures (read from the store).</summary>
/// <param name="Record">The stored record.</param>
/// <param name="Source">The source of its code version, or null when the store has none.</param>
/// <param name="Figures">Its figures with their stored files (relative to the experiment's folder).</param>
public sealed record ReportRun(ExperimentRecord Record, string? Source, IReadOnlyList<(Figure Figure, FigureRecord Stored)> Figures);

/// <summary>
/// A self-contained HTML page for stored runs: parameters, code version and source, figures, tables, with its style and
/// script inline (no CDN, no network), readable when printed (a print style sheet; hover-only controls are hidden).
/// </summary>
public static class HtmlReport
{
    /// <summary>The page for <paramref name="runs"/> of <paramref name="experiment"/>.</summary>
    /// <param name="experiment">The experiment's name.</param>
    /// <param name="runs">The runs, oldest first.</param>
    /// <param name="figureBase">Where the stored figure files are, relative to the page (for the SVG/PNG links), or null for no links.</param>
    public static string Render(string experiment, IReadOnlyList<ReportRun> runs, string? figureBase = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(runs);
        var html = new StringBuilder();
        string title = runs.Count == 1 ? $"{experiment} — run {runs[0].Record.RunId}" : $"{experiment} — {runs.Count} runs";
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        html.Append(CultureInfo.InvariantCulture, $"<title>{E(title)}</title><style>{Resource("report.css")}</style></head><body>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>{E(experiment)}</h1><p class=\"subtitle\">Arrakis experiment report, {runs.Count} run(s); written {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.</p>");
        if (runs.Count > 1)
        {
            html.Append("<table class=\"data runs\"><tr><th>run</th><th>status</th><th>started</th><th>ms</th><th>version</th><th>figures</th></tr>");
            foreach (var r in runs)
                html.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"#run-{E(r.Record.RunId)}\">{E(r.Record.RunId)}</a></td><td class=\"status-{E(r.Record.Status)}\">{E(r.Record.Status)}</td><td>{r.Record.StartedAt:yyyy-MM-dd HH:mm:ss}</td><td class=\"num\">{r.Record.DurationMs:F0}</td><td>{E(r.Record.CodeVersion)}</td><td class=\"num\">{r.Figures.Count}</td></tr>");
            html.Append("</table>");
        }
        var shownSources = new HashSet<string>(StringComparer.Ordinal);
        int figureNumber = 0;
        foreach (var run in runs) RenderRun(html, run, shownSources, ref figureNumber, figureBase);
        html.Append("<div id=\"tip\"></div><script>").Append(Resource("report.js")).Append("</script></body></html>");
        return html.ToString();
    }

    private static void RenderRun(StringBuilder html, ReportRun run, HashSet<string> shownSources, ref int figureNumber, string? figureBase)
    {
        var r = run.Record;
        html.Append(CultureInfo.InvariantCulture, $"<section class=\"run\" id=\"run-{E(r.RunId)}\"><h2>Run {E(r.RunId)}</h2>");
        html.Append("<table class=\"kv summary\">");
        Row(html, "status", $"<span class=\"status-{E(r.Status)}\">{E(r.Status)}</span>");
        Row(html, "started", E($"{r.StartedAt:yyyy-MM-dd HH:mm:ss} UTC"));
        Row(html, "duration", E($"{r.DurationMs:F0} ms"));
        Row(html, "code version", E($"{r.CodeVersion}  ({r.SourcePath}{(r.Line > 0 ? $":{r.Line}" : "")})"));
        if (r.Model is { } m) Row(html, "model", E($"{m.Name}  (weights {m.WeightsHash})"));
        if (r.Tools.Count > 0) Row(html, "tools", E(string.Join(", ", r.Tools.Select(t => $"{t.Name} ({t.Assembly} {t.Version})"))));
        html.Append("</table>");
        if (r.Error is not null) html.Append(CultureInfo.InvariantCulture, $"<div class=\"error\">{E(r.Error)}</div>");
        if (r.Warnings.Count > 0) html.Append("<ul class=\"warnings\">").Append(string.Concat(r.Warnings.Select(w => $"<li>{E(w)}</li>"))).Append("</ul>");
        html.Append("<h3>Parameters</h3>").Append(r.Arguments is { Count: > 0 } a ? JsonTable.Render(a) : "<p>none</p>");
        if (r.Result is not null) html.Append("<h3>Result</h3>").Append(JsonTable.Render(r.Result));
        if (r.Hypothesis is not null) html.Append("<h3>Hypothesis test</h3>").Append(JsonTable.Render(System.Text.Json.JsonSerializer.SerializeToNode(r.Hypothesis, ExperimentJson.RecordOptions)));
        if (r.Profile is not null) html.Append("<h3>Profile</h3>").Append(JsonTable.Render(System.Text.Json.JsonSerializer.SerializeToNode(r.Profile, ExperimentJson.RecordOptions)));
        html.Append(CultureInfo.InvariantCulture, $"<h3>Figures ({run.Figures.Count})</h3>");
        if (run.Figures.Count == 0) html.Append("<p class=\"no-figures\">This run has no figures.</p>");
        foreach (var (figure, stored) in run.Figures)
        {
            figureNumber++;
            html.Append(HtmlFigures.Render(figure, $"fig-{figureNumber}"));
            if (figureBase is not null && stored.Files.Count > 0)
                html.Append("<p class=\"files\">").Append(string.Concat(stored.Files.Select(f => $"<a href=\"{E(figureBase.TrimEnd('/') + "/" + f)}\">{E(Path.GetExtension(f).TrimStart('.').ToUpperInvariant())}</a>"))).Append("</p>");
        }
        if (run.Source is not null)
        {
            if (shownSources.Add(r.CodeVersion))
                html.Append(CultureInfo.InvariantCulture, $"<details class=\"source\" open id=\"source-{E(r.CodeVersion)}\"><summary>Source of version {E(r.CodeVersion)}</summary><pre class=\"source\">{E(run.Source)}</pre></details>");
            else
                html.Append(CultureInfo.InvariantCulture, $"<p>Source: as <a href=\"#source-{E(r.CodeVersion)}\">version {E(r.CodeVersion)}</a> above.</p>");
        }
        html.Append("</section>");
    }

    private static void Row(StringBuilder html, string key, string valueHtml) => html.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(key)}</th><td>{valueHtml}</td></tr>");

    private static string E(string text) => HtmlFigures.E(text);

    private static string Resource(string name)
    {
        using var stream = typeof(HtmlReport).Assembly.GetManifestResourceStream($"Arrakis.Plots.{name}")
            ?? throw new InvalidOperationException($"The report resource '{name}' is missing from {typeof(HtmlReport).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
