using System.Text;
using Arrakis.Bench;
using Arrakis.Util;

namespace Arrakis.Plots;

/// <summary>
/// Makes the HTML report of a stored run or of all of an experiment's runs (<c>arrakis report</c>): reads the records,
/// each run's figures (<c>figures/{runId}/*.json</c>) and the code versions' source from the store.
/// </summary>
public static class ReportBuilder
{
    /// <summary>The default page: <c>{experiment}/reports/{runId}.html</c>, or <c>all-runs.html</c> for the whole experiment.</summary>
    public static string DefaultPath(ExperimentStore store, string experiment, string? runId)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Path.Combine(store.ExperimentDirectory(experiment), "reports", (runId ?? "all-runs") + ".html");
    }

    /// <summary>The runs the report shows, with their sources and figures.</summary>
    /// <exception cref="KeyNotFoundException">No such experiment (the message lists the closest recorded names), or no such
    /// run (the message lists the closest run ids).</exception>
    public static IReadOnlyList<ReportRun> Load(ExperimentStore store, string experiment, string? runId = null, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(experiment);
        warn ??= _ => { };
        ExperimentRuns read = store.Read(experiment);
        foreach (var d in read.Damaged) warn($"{d.Path}:{d.Line}: skipped a corrupted experiment record ({d.Reason})");
        if (read.Records.Count == 0)
        {
            var names = Directory.Exists(store.SaveDir)
                ? Directory.EnumerateDirectories(store.SaveDir).Where(d => File.Exists(Path.Combine(d, "runs.jsonl"))).Select(Path.GetFileName).OfType<string>().ToList()
                : [];
            var closest = NameSuggestions.Closest(experiment, names);
            throw new KeyNotFoundException($"No experiment '{experiment}' in {store.SaveDir}. " +
                (closest.Count > 0 ? $"Closest: {string.Join(", ", closest)}." : "Nothing is recorded there (see --out)."));
        }
        IReadOnlyList<ExperimentRecord> records = read.Records;
        if (runId is not null)
        {
            var match = records.Where(r => r.RunId == runId).ToList();
            if (match.Count == 0)
            {
                var closest = NameSuggestions.Closest(runId, records.Select(r => r.RunId));
                throw new KeyNotFoundException($"No run '{runId}' of {experiment} ({records.Count} run(s)). Closest run ids: {string.Join(", ", closest)}.");
            }
            records = match;
        }
        string dir = store.ExperimentDirectory(experiment);
        var sources = new Dictionary<string, string?>(StringComparer.Ordinal);
        return records.Select(r =>
        {
            if (!sources.TryGetValue(r.CodeVersion, out string? source))
                sources[r.CodeVersion] = source = store.GetVersion(read, r.CodeVersion)?.Source;
            var figures = new List<(Figure, FigureRecord)>();
            foreach (var stored in r.Figures)
            {
                string path = Path.GetFullPath(Path.Combine(dir, stored.Data));
                if (!path.StartsWith(Path.GetFullPath(dir) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    warn($"Figure '{stored.Title}' of run {r.RunId} points outside the experiment's folder ({stored.Data}); skipped.");
                    continue;
                }
                try
                {
                    figures.Add((FigureJson.Deserialize(File.ReadAllText(path, Encoding.UTF8)), stored));
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException or NotSupportedException)
                {
                    warn($"Figure '{stored.Title}' of run {r.RunId} could not be read from {path} ({e.Message}); skipped.");
                }
            }
            return new ReportRun(r, source, figures);
        }).ToList();
    }

    /// <summary>
    /// Writes the report to <paramref name="htmlPath"/> (default: <see cref="DefaultPath"/>) and returns its full path.
    /// The page is written to a temporary file and moved into place, so a failure leaves no half page.
    /// </summary>
    public static string Write(ExperimentStore store, string experiment, string? runId = null, string? htmlPath = null, Action<string>? warn = null)
    {
        var runs = Load(store, experiment, runId, warn);
        string path = Path.GetFullPath(htmlPath ?? DefaultPath(store, experiment, runId));
        string pageDir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(pageDir);
        string figureBase = Path.GetRelativePath(pageDir, store.ExperimentDirectory(experiment)).Replace('\\', '/');
        string html = HtmlReport.Render(experiment, runs, figureBase);
        string temporary = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, html, new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
        return path;
    }
}
