using System.Text;
using Arrakis.Bench;

namespace Arrakis.Plots;

/// <summary>
/// Writes a run's figures into the experiment store (<see cref="IFigureWriter"/>): for each, under
/// <c>{experiment}/figures/{runId}/</c>, <c>NN-slug.json</c> (the figure, which the HTML report draws), <c>.svg</c> and
/// <c>.png</c> (static exports). Figures queued on <see cref="Queue"/> (a script's <c>Plot.Show</c>) come first, then,
/// with <c>[PlotResults]</c>, the result's default views (<see cref="Views.For"/>).
/// </summary>
/// <param name="queue">Figures waiting for the next stored run; null for none.</param>
/// <param name="tokenText">Token id → text for the default views' labels; null for ids.</param>
/// <param name="staticExports">Whether to write SVG and PNG beside the JSON (true by default).</param>
public sealed class RunFigureWriter(FigureQueue? queue = null, Func<long, string>? tokenText = null, bool staticExports = true) : IFigureWriter
{
    /// <summary>A writer with no queue (what <c>[PlotResults]</c> benches get by default).</summary>
    public RunFigureWriter() : this(null) { }

    /// <summary>Figures waiting for the next stored run.</summary>
    public FigureQueue? Queue { get; } = queue;

    /// <inheritdoc />
    public IReadOnlyList<FigureRecord> WriteFigures(string experimentDirectory, string runId, object? result, bool plotResult, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(experimentDirectory);
        ArgumentNullException.ThrowIfNull(warnings);
        var figures = new List<Figure>(Queue?.Take() ?? []);
        if (plotResult)
        {
            try
            {
                var views = Views.For(result, null, tokenText);
                if (views.Count == 0 && result is not null)
                    warnings.Add($"[PlotResults]: no default view for a result of type {result.GetType().Name}; return a Figure, a tool result, a tensor or numbers.");
                figures.AddRange(views);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                warnings.Add($"[PlotResults]: the result's default view failed ({e.Message}).");
            }
        }
        if (figures.Count == 0) return [];
        string relative = Path.Combine("figures", runId);
        string dir = Path.Combine(experimentDirectory, relative);
        Directory.CreateDirectory(dir);
        var records = new List<FigureRecord>();
        for (int i = 0; i < figures.Count; i++)
        {
            Figure figure = figures[i];
            try
            {
                figure.Validate();
            }
            catch (ArgumentException e)
            {
                warnings.Add($"Figure '{figure.Title}' was not stored: {e.Message}");
                continue;
            }
            string stem = $"{i + 1:D2}-{figure.Slug()}";
            File.WriteAllText(Path.Combine(dir, stem + ".json"), FigureJson.Serialize(figure), Encoding.UTF8);
            var files = new List<string>();
            if (staticExports)
            {
                foreach (string ext in new[] { ".svg", ".png" })
                {
                    try
                    {
                        StaticExport.Save(figure, Path.Combine(dir, stem + ext));
                        files.Add(Path.Combine(relative, stem + ext).Replace('\\', '/'));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        warnings.Add($"Figure '{figure.Title}': the {ext} export failed ({e.GetType().Name}: {e.Message}).");
                    }
                }
            }
            records.Add(new FigureRecord(figure.Title, figure.Kind, Path.Combine(relative, stem + ".json").Replace('\\', '/'), files));
        }
        return records;
    }
}
