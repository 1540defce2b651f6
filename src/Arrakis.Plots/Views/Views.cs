using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Plots;

/// <summary>
/// Builds figures from data, applying <see cref="FigureLimits"/>: what is over a limit is summarised (a histogram of the
/// values, the first tokens, the largest bars) with a <see cref="Figure.Note"/> saying so, never drawn in full.
/// <see cref="For"/> gives the default views of any value: a figure, a tool result, a tensor, a dictionary of numbers.
/// </summary>
public static class Views
{
    /// <summary>A heatmap of <paramref name="values"/> [rows][columns]; over <see cref="FigureLimits.MaxHeatmapCells"/> cells, a histogram of the values.</summary>
    public static Figure Heatmap(string title, double[][] values, IReadOnlyList<string>? rowLabels = null, IReadOnlyList<string>? columnLabels = null,
        string rowAxis = "", string columnAxis = "", bool diverging = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length == 0) throw new ArgumentException($"Heatmap '{title}' has no rows; expected at least one.", nameof(values));
        int columns = values[0].Length;
        long cells = values.Sum(r => (long)r.Length);
        if (cells > FigureLimits.MaxHeatmapCells) return Summary(title, values.SelectMany(r => r), $"[{values.Length}, {columns}]", cells);
        var figure = new HeatmapFigure(title, rowLabels ?? Enumerable.Range(0, values.Length).Select(i => i.ToString()).ToList(),
            columnLabels ?? Enumerable.Range(0, columns).Select(i => i.ToString()).ToList(), values, rowAxis, columnAxis, diverging);
        figure.Validate();
        return figure;
    }

    /// <summary>Bars; over <see cref="FigureLimits.MaxBars"/> the largest by magnitude are kept (in their order) and the note says how many were left out.</summary>
    public static BarFigure Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values, string valueAxis = "")
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(values);
        if (labels.Count != values.Count) throw new ArgumentException($"Bar chart '{title}' has {labels.Count} labels but {values.Count} values.", nameof(values));
        string? note = null;
        if (labels.Count > FigureLimits.MaxBars)
        {
            var keep = Enumerable.Range(0, labels.Count).OrderByDescending(i => Math.Abs(values[i])).Take(FigureLimits.MaxBars).Order().ToList();
            note = $"The {FigureLimits.MaxBars} largest |values| of {labels.Count} (FigureLimits.MaxBars).";
            labels = keep.Select(i => labels[i]).ToList();
            values = keep.Select(i => values[i]).ToList();
        }
        var figure = new BarFigure(title, labels, values, valueAxis) { Note = note };
        figure.Validate();
        return figure;
    }

    /// <summary>Lines; series longer than <see cref="FigureLimits.MaxLinePoints"/> are thinned (every k-th point, the last kept).</summary>
    public static LineFigure Lines(string title, string xAxis, string yAxis, params LineSeries[] series)
    {
        string? note = null;
        var thinned = series.Select(s =>
        {
            if (s.X.Count <= FigureLimits.MaxLinePoints) return s;
            int step = (s.X.Count + FigureLimits.MaxLinePoints - 2) / (FigureLimits.MaxLinePoints - 1);
            var keep = Enumerable.Range(0, s.X.Count).Where(i => i % step == 0 || i == s.X.Count - 1).ToList();
            note = $"Series thinned to every {step}th point (FigureLimits.MaxLinePoints = {FigureLimits.MaxLinePoints}).";
            return new LineSeries(s.Name, keep.Select(i => s.X[i]).ToList(), keep.Select(i => s.Y[i]).ToList());
        }).ToList();
        var figure = new LineFigure(title, xAxis, yAxis, thinned) { Note = note };
        figure.Validate();
        return figure;
    }

    /// <summary>
    /// An attention view of <paramref name="patterns"/> [heads, q, k] (or [layers, heads, q, k] with
    /// <paramref name="headLabels"/> for all heads). Keeps the first <see cref="FigureLimits.MaxAttentionTokens"/> tokens
    /// and as many heads as <see cref="FigureLimits.MaxAttentionWeights"/> allows, saying so in the note.
    /// </summary>
    public static AttentionFigure Attention(string title, Tensor patterns, IReadOnlyList<string> tokens, IReadOnlyList<string>? headLabels = null)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        ArgumentNullException.ThrowIfNull(tokens);
        using var scope = NewDisposeScope();
        var p = patterns.dim() switch
        {
            3 => patterns,
            4 => patterns.flatten(0, 1),
            _ => throw new ArgumentException($"Expected attention patterns [heads, q, k] or [layers, heads, q, k]; got [{string.Join(", ", patterns.shape)}].", nameof(patterns)),
        };
        long heads = p.shape[0], n = p.shape[1];
        if (p.shape[2] != n || n != tokens.Count)
            throw new ArgumentException($"Attention patterns [{string.Join(", ", patterns.shape)}] do not match {tokens.Count} tokens (expected q = k = {tokens.Count}).", nameof(patterns));
        var labels = headLabels ?? (patterns.dim() == 4
            ? Enumerable.Range(0, (int)heads).Select(i => $"L{i / patterns.shape[1]}H{i % patterns.shape[1]}").ToList()
            : Enumerable.Range(0, (int)heads).Select(i => $"H{i}").ToList());
        if (labels.Count != heads) throw new ArgumentException($"{labels.Count} head labels for {heads} heads.", nameof(headLabels));
        var notes = new List<string>();
        int keepTokens = (int)Math.Min(n, FigureLimits.MaxAttentionTokens);
        if (keepTokens < n) notes.Add($"The first {keepTokens} of {n} tokens (FigureLimits.MaxAttentionTokens).");
        int keepHeads = (int)Math.Min(heads, Math.Max(1, FigureLimits.MaxAttentionWeights / (keepTokens * keepTokens)));
        if (keepHeads < heads) notes.Add($"The first {keepHeads} of {heads} heads (FigureLimits.MaxAttentionWeights).");
        var cut = p[..keepHeads, ..keepTokens, ..keepTokens].to(ScalarType.Float32).cpu().contiguous();
        float[] flat = cut.data<float>().ToArray();
        var data = new float[keepHeads][][];
        for (int h = 0; h < keepHeads; h++)
        {
            data[h] = new float[keepTokens][];
            for (int q = 0; q < keepTokens; q++) data[h][q] = flat.AsSpan((h * keepTokens + q) * keepTokens, keepTokens).ToArray();
        }
        var figure = new AttentionFigure(title, tokens.Take(keepTokens).ToList(), labels.Take(keepHeads).ToList(), data)
        { Note = notes.Count == 0 ? null : string.Join(" ", notes) };
        figure.Validate();
        return figure;
    }

    /// <summary>
    /// The default view of a labelled tensor: 0-d and 1-d as bars (labels or indices), 2-d as a heatmap, anything else or
    /// anything over the limits as a histogram of its values with shape, min, max and mean in the note.
    /// </summary>
    public static Figure Tensor(string title, Tensor tensor, IReadOnlyList<string>? rowLabels = null, IReadOnlyList<string>? columnLabels = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        string shape = $"[{string.Join(", ", tensor.shape)}]";
        long numel = tensor.numel();
        var t = tensor.detach().cpu();
        if (numel > FigureLimits.MaxTensorElements)
            return Summary(title, t.flatten().narrow(0, 0, FigureLimits.MaxTensorElements).to(ScalarType.Float64).data<double>().ToArray(), shape, numel);
        double[] flat = t.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        return FromArray(title, flat, tensor.shape, rowLabels, columnLabels);
    }

    /// <summary>The default view of <paramref name="flat"/> (row-major) of shape <paramref name="shape"/>, as <see cref="Tensor"/> describes.</summary>
    public static Figure FromArray(string title, double[] flat, long[] shape, IReadOnlyList<string>? rowLabels = null, IReadOnlyList<string>? columnLabels = null)
    {
        ArgumentNullException.ThrowIfNull(flat);
        ArgumentNullException.ThrowIfNull(shape);
        long numel = shape.Aggregate(1L, (a, b) => a * b);
        if (numel != flat.Length) throw new ArgumentException($"{flat.Length} values do not fill shape [{string.Join(", ", shape)}] ({numel} elements).", nameof(flat));
        switch (shape.Length)
        {
            case 0:
                return Bars(title, [title], flat);
            case 1 when numel <= FigureLimits.MaxBars:
                return Bars(title, rowLabels ?? Enumerable.Range(0, (int)numel).Select(i => i.ToString()).ToList(), flat);
            case 1:
                return Lines(title, "index", "value", new LineSeries(title, Enumerable.Range(0, (int)numel).Select(i => (double)i).ToList(), flat));
            case 2:
                int rows = (int)shape[0], columns = (int)shape[1];
                var grid = Enumerable.Range(0, rows).Select(r => flat.AsSpan(r * columns, columns).ToArray()).ToArray();
                return Heatmap(title, grid, rowLabels, columnLabels, diverging: flat.Any(v => v < 0));
            default:
                return Summary(title, flat, $"[{string.Join(", ", shape)}]", numel);
        }
    }

    /// <summary>A histogram of <paramref name="values"/> standing in for data over the limits (shape, count, min, max, mean in the note).</summary>
    public static HistogramFigure Summary(string title, IEnumerable<double> values, string shape, long elements)
    {
        var v = values.Where(double.IsFinite).ToArray();
        string stats = v.Length == 0 ? "no finite values" : $"min {v.Min():G4}, max {v.Max():G4}, mean {v.Average():G4}";
        return HistogramFigure.Of(title, v, 40, "value") with
        {
            Note = $"Summarised: {shape} has {elements:N0} elements, over the drawing limits (FigureLimits); " +
                   $"the distribution of {(v.Length < elements ? $"its first {v.Length:N0}" : "all")} values ({stats}).",
        };
    }

    /// <summary>
    /// The default views of <paramref name="value"/>: a figure (or figures) as is, a built-in tool result by
    /// <see cref="ToolViews"/>, a tensor by <see cref="Tensor"/>, a 2-d array as a heatmap, a dictionary or sequence of
    /// numbers as bars; nothing for anything else (and for null).
    /// </summary>
    /// <param name="value">What to draw.</param>
    /// <param name="title">The figure's title (tool results have their own).</param>
    /// <param name="tokenText">Turns a token id into its text for axis labels (default: the id).</param>
    public static IReadOnlyList<Figure> For(object? value, string? title = null, Func<long, string>? tokenText = null) => value switch
    {
        null => [],
        Figure f => [f],
        IEnumerable<Figure> many => many.ToList(),
        torch.Tensor t => [Tensor(title ?? "tensor", t)],
        double[,] grid => [Heatmap(title ?? "values", Enumerable.Range(0, grid.GetLength(0)).Select(r => Enumerable.Range(0, grid.GetLength(1)).Select(c => grid[r, c]).ToArray()).ToArray())],
        IReadOnlyDictionary<string, double> d => [Bars(title ?? "values", d.Keys.ToList(), d.Values.ToList())],
        IReadOnlyDictionary<string, object?> d when d.Count > 0 && d.Values.All(IsNumber) => [Bars(title ?? "values", d.Keys.ToList(), d.Values.Select(ToDouble).ToList())],
        IEnumerable<double> seq => [FromArray(title ?? "values", seq.ToArray(), [seq.LongCount()])],
        _ => ToolViews.For(value, title, tokenText),
    };

    internal static bool IsNumber(object? v) => v is double or float or int or long or decimal or short;

    internal static double ToDouble(object? v) => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture);
}
