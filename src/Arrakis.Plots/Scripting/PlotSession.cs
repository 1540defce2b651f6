using Arrakis.Bench;
using static TorchSharp.torch;

namespace Arrakis.Plots;

/// <summary>
/// The <c>Plot</c> global of scripts (Arrakis's <c>plot_results</c>): <see cref="Show"/> queues the default views of any
/// value for the next stored run (<c>Bench.Record</c>, a <c>[LogExperiment]</c> call), <see cref="Save"/> writes a view
/// to a file the user names, <see cref="Report"/> writes the HTML report of a stored run.
/// </summary>
/// <example><code>
/// var summary = Bench.Record("induction-circuit", args, () => { …; Plot.Show(scores); return summary; });
/// Out.WriteLine(Plot.Report("induction-circuit", Bench.LastRun!.RunId));
/// </code></example>
public sealed class PlotSession
{
    private readonly Func<ExperimentStore> _store;

    /// <summary>A session whose figures go with the runs of the store <paramref name="store"/> returns.</summary>
    /// <param name="store">The experiment store (the bench's).</param>
    /// <param name="tokenText">Token id → text for labels (the model's tokenizer), or null for ids.</param>
    public PlotSession(Func<ExperimentStore> store, Func<long, string>? tokenText = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        TokenText = tokenText;
        Writer = new RunFigureWriter(Queue, id => TokenText?.Invoke(id) ?? id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Figures waiting for the next stored run.</summary>
    public FigureQueue Queue { get; } = new();

    /// <summary>What the bench calls to store them (set as <see cref="InterpretabilityBench.FigureWriter"/>).</summary>
    public RunFigureWriter Writer { get; }

    /// <summary>Token id → text for labels, or null for ids.</summary>
    public Func<long, string>? TokenText { get; set; }

    /// <summary>The default views of <paramref name="value"/> (see <see cref="Views.For"/>), queued for the next stored run and returned.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> has no default view.</exception>
    public IReadOnlyList<Figure> Show(object value, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        var figures = Views.For(value, title, TokenText);
        if (figures.Count == 0)
            throw new ArgumentException($"No default view for a value of type {value.GetType().Name}; pass a Figure, a tool result, a tensor or numbers (or build one with Plot.Heatmap, Plot.Bars, …).", nameof(value));
        Queue.Add(figures);
        return figures;
    }

    /// <summary>A heatmap [rows][columns] with labelled axes, queued.</summary>
    public Figure Heatmap(string title, double[][] values, IReadOnlyList<string>? rowLabels = null, IReadOnlyList<string>? columnLabels = null,
        string rowAxis = "", string columnAxis = "", bool diverging = false) => Queue1(Views.Heatmap(title, values, rowLabels, columnLabels, rowAxis, columnAxis, diverging));

    /// <summary>A labelled tensor (1-d bars, 2-d heatmap, else a summary), queued.</summary>
    public Figure Tensor(string title, Tensor tensor, IReadOnlyList<string>? rowLabels = null, IReadOnlyList<string>? columnLabels = null) =>
        Queue1(Views.Tensor(title, tensor, rowLabels, columnLabels));

    /// <summary>Labelled bars, queued.</summary>
    public Figure Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values, string valueAxis = "") => Queue1(Views.Bars(title, labels, values, valueAxis));

    /// <summary>Lines, queued.</summary>
    public Figure Lines(string title, string xAxis, string yAxis, params LineSeries[] series) => Queue1(Views.Lines(title, xAxis, yAxis, series));

    /// <summary>An attention view of patterns [heads, q, k] or [layers, heads, q, k], queued.</summary>
    public Figure Attention(string title, Tensor patterns, IReadOnlyList<string> tokens, IReadOnlyList<string>? headLabels = null) =>
        Queue1(Views.Attention(title, patterns, tokens, headLabels));

    /// <summary>A layered graph from nodes and edges (a circuit), queued.</summary>
    public Figure Graph(string title, IReadOnlyList<FigureNode> nodes, IReadOnlyList<FigureEdge> edges) => Queue1(new GraphFigure(title, nodes, edges));

    /// <summary>Token contexts with per-token highlight, queued.</summary>
    public Figure Contexts(string title, IReadOnlyList<TokenContext> contexts) => Queue1(new TokenContextsFigure(title, contexts));

    /// <summary>A histogram of <paramref name="values"/>, queued.</summary>
    public Figure Histogram(string title, IEnumerable<double> values, int bins = 30, string valueAxis = "") => Queue1(HistogramFigure.Of(title, values, bins, valueAxis));

    /// <summary>
    /// Writes the default view of <paramref name="value"/> to <paramref name="path"/>: <c>.png</c>, <c>.svg</c> (static),
    /// <c>.html</c> (a self-contained page of its views) or <c>.json</c> (the figure). Returns the full path.
    /// </summary>
    public string Save(object value, string path)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var figures = Views.For(value, null, TokenText);
        if (figures.Count == 0) throw new ArgumentException($"No default view for a value of type {value.GetType().Name}.", nameof(value));
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        switch (Path.GetExtension(full).ToLowerInvariant())
        {
            case ".png" or ".svg":
                StaticExport.Save(figures[0], full);
                break;
            case ".json":
                File.WriteAllText(full, FigureJson.Serialize(figures[0]));
                break;
            case ".html":
                File.WriteAllText(full, FigurePage.Render(figures));
                break;
            default:
                throw new ArgumentException($"Cannot save '{path}': expected .png, .svg, .html or .json.", nameof(path));
        }
        return full;
    }

    /// <summary>Writes the HTML report of <paramref name="experiment"/> (one run, or all) and returns its path (see <see cref="ReportBuilder.Write"/>).</summary>
    public string Report(string experiment, string? runId = null, string? htmlPath = null) => ReportBuilder.Write(_store(), experiment, runId, htmlPath);

    private Figure Queue1(Figure figure)
    {
        Queue.Add([figure]);
        return figure;
    }
}
