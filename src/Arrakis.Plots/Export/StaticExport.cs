using ScottPlot;

namespace Arrakis.Plots;

/// <summary>
/// Static PNG and SVG of a figure, drawn by ScottPlot (for papers and for the report's print fallback). Heatmaps keep
/// their token-labelled axes, bars their component labels; an attention figure is drawn as its heads' patterns side by
/// side, a graph as layered nodes with arrows, token contexts as a context × position heatmap with the tokens written in.
/// </summary>
public static class StaticExport
{
    /// <summary>The default size in pixels, from the figure's shape (labels need room).</summary>
    public static (int Width, int Height) DefaultSize(Figure figure) => figure switch
    {
        HeatmapFigure h => (Math.Clamp(160 + 28 * h.ColumnLabels.Count, 720, 2400), Math.Clamp(140 + 24 * h.RowLabels.Count, 360, 2400)),
        BarFigure b => (Math.Clamp(160 + 28 * b.Labels.Count, 720, 2400), 480),
        AttentionFigure a => (Math.Clamp(200 + 14 * a.Tokens.Count * a.Heads.Count, 600, 3000), Math.Clamp(160 + 14 * a.Tokens.Count, 400, 2000)),
        TokenContextsFigure c => (Math.Clamp(200 + 40 * c.Contexts.Max(x => x.Tokens.Count), 600, 3000), Math.Clamp(120 + 30 * c.Contexts.Count, 300, 2000)),
        _ => (720, 440),
    };

    /// <summary>PNG bytes of <paramref name="figure"/>.</summary>
    public static byte[] Png(Figure figure, int? width = null, int? height = null)
    {
        var (w, h) = Size(figure, width, height);
        using var plot = Draw(figure);
        return plot.GetImageBytes(w, h, ImageFormat.Png);
    }

    /// <summary>SVG text of <paramref name="figure"/>.</summary>
    public static string Svg(Figure figure, int? width = null, int? height = null)
    {
        var (w, h) = Size(figure, width, height);
        using var plot = Draw(figure);
        return plot.GetSvgXml(w, h);
    }

    /// <summary>Writes <paramref name="figure"/> to <paramref name="path"/> as PNG or SVG, by its extension.</summary>
    /// <exception cref="ArgumentException">The extension is neither <c>.png</c> nor <c>.svg</c>.</exception>
    public static void Save(Figure figure, string path, int? width = null, int? height = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        byte[] bytes = ext switch
        {
            ".png" => Png(figure, width, height),
            ".svg" => System.Text.Encoding.UTF8.GetBytes(Svg(figure, width, height)),
            _ => throw new ArgumentException($"Cannot export '{path}': expected a .png or .svg file name (got '{ext}').", nameof(path)),
        };
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, bytes);
    }

    private static (int, int) Size(Figure figure, int? width, int? height)
    {
        ArgumentNullException.ThrowIfNull(figure);
        figure.Validate();
        var (w, h) = DefaultSize(figure);
        int ww = width ?? w, hh = height ?? h;
        if (ww < 50 || ww > 10_000) throw new ArgumentOutOfRangeException(nameof(width), ww, "Expected a width of 50 to 10,000 pixels.");
        if (hh < 50 || hh > 10_000) throw new ArgumentOutOfRangeException(nameof(height), hh, "Expected a height of 50 to 10,000 pixels.");
        return (ww, hh);
    }

    private static Plot Draw(Figure figure)
    {
        var plot = new Plot();
        plot.Title(figure.Title.Length > 100 ? figure.Title[..99] + "…" : figure.Title);
        plot.Axes.Title.Label.FontSize = 12;
        switch (figure)
        {
            case HeatmapFigure h:
                DrawHeatmap(plot, h.Values, h.RowLabels, h.ColumnLabels, h.Diverging);
                plot.YLabel(h.RowAxis);
                plot.XLabel(h.ColumnAxis);
                break;
            case BarFigure b:
                var bars = plot.Add.Bars(b.Values.ToArray());
                Ticks(plot.Axes.Bottom, b.Labels, rotate: b.Labels.Count > 8);
                plot.YLabel(b.ValueAxis);
                break;
            case LineFigure l:
                foreach (var s in l.Series)
                {
                    var scatter = plot.Add.Scatter(s.X.ToArray(), s.Y.ToArray());
                    scatter.LegendText = s.Name;
                }
                if (l.Series.Count > 1) plot.ShowLegend();
                plot.XLabel(l.XAxis);
                plot.YLabel(l.YAxis);
                break;
            case HistogramFigure g:
                var centres = Enumerable.Range(0, g.Counts.Count).Select(i => (g.Edges[i] + g.Edges[i + 1]) / 2).ToArray();
                var hist = plot.Add.Bars(centres, g.Counts.Select(c => (double)c).ToArray());
                double width = g.Counts.Count > 0 ? g.Edges[1] - g.Edges[0] : 1;
                foreach (var bar in hist.Bars) bar.Size = width;
                plot.XLabel(g.ValueAxis);
                plot.YLabel("count");
                break;
            case AttentionFigure a:
                DrawAttention(plot, a);
                break;
            case GraphFigure gr:
                DrawGraph(plot, gr);
                break;
            case TokenContextsFigure c:
                DrawContexts(plot, c);
                break;
            default:
                throw new ArgumentException($"No static export for figure kind '{figure.Kind}'.", nameof(figure));
        }
        return plot;
    }

    /// <summary>Draws values [row][column] with row 0 at the top; labels on the left and bottom.</summary>
    private static void DrawHeatmap(Plot plot, double[][] values, IReadOnlyList<string> rows, IReadOnlyList<string> columns, bool diverging)
    {
        int r = values.Length, c = values[0].Length;
        var grid = new double[r, c];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++)
                grid[i, j] = values[i][j];
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = diverging ? new ScottPlot.Colormaps.MellowRainbow() : new ScottPlot.Colormaps.Viridis();
        if (diverging)
        {
            double m = values.SelectMany(x => x).Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(1).Max();
            heatmap.ManualRange = new ScottPlot.Range(-m, m);
        }
        heatmap.Rectangle = new CoordinateRect(-0.5, c - 0.5, -0.5, r - 0.5);
        plot.Add.ColorBar(heatmap);
        Ticks(plot.Axes.Bottom, columns, rotate: columns.Count > 6);
        // Row 0 is drawn at the top (y = r − 1).
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, r).Select(i => (double)(r - 1 - i)).ToArray(), rows.ToArray());
    }

    private static void Ticks(IAxis axis, IReadOnlyList<string> labels, bool rotate)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        if (rotate)
        {
            axis.TickLabelStyle.Rotation = 60;
            axis.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            axis.MinimumSize = 16 + 6.5f * Math.Min(30, labels.Max(l => l.Length));
        }
    }

    private static void DrawAttention(Plot plot, AttentionFigure a)
    {
        int n = a.Tokens.Count, heads = a.Heads.Count, width = heads * (n + 1) - 1;
        var values = new double[n][];
        for (int q = 0; q < n; q++)
        {
            values[q] = Enumerable.Repeat(double.NaN, width).ToArray();
            for (int h = 0; h < heads; h++)
                for (int k = 0; k < n; k++)
                    values[q][h * (n + 1) + k] = a.Patterns[h][q][k];
        }
        var columns = Enumerable.Range(0, width).Select(i => i % (n + 1) == n ? "" : a.Tokens[i % (n + 1)]).ToList();
        DrawHeatmap(plot, values, a.Tokens, columns, diverging: false);
        for (int h = 0; h < heads; h++) plot.Add.Text(a.Heads[h], h * (n + 1), n - 0.4);
        plot.YLabel("query");
        plot.XLabel("key (one panel per head)");
    }

    private static void DrawGraph(Plot plot, GraphFigure g)
    {
        var columns = g.Nodes.GroupBy(n => n.Layer).OrderBy(x => x.Key).ToList();
        var at = new Dictionary<string, Coordinates>(StringComparer.Ordinal);
        for (int x = 0; x < columns.Count; x++)
        {
            var column = columns[x].ToList();
            for (int y = 0; y < column.Count; y++) at[column[y].Id] = new Coordinates(x, y - (column.Count - 1) / 2.0);
        }
        double scale = g.Edges.Select(e => Math.Abs(e.Weight)).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        foreach (var e in g.Edges)
        {
            var arrow = plot.Add.Arrow(at[e.From], at[e.To]);
            arrow.ArrowFillColor = e.Weight < 0 ? Color.FromHex("#4a78b5") : Color.FromHex("#c0504d");
            arrow.ArrowLineColor = arrow.ArrowFillColor;
            arrow.ArrowWidth = (float)(1 + 5 * Math.Abs(e.Weight) / (scale > 0 ? scale : 1));
        }
        foreach (var n in g.Nodes)
        {
            plot.Add.Marker(at[n.Id], MarkerShape.FilledCircle, 10, Colors.DarkSlateGray);
            var text = plot.Add.Text(n.Label, at[n.Id].X, at[n.Id].Y + 0.15);
            text.LabelFontSize = 12;
        }
        plot.HideGrid();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([], []);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([], []);
    }

    private static void DrawContexts(Plot plot, TokenContextsFigure c)
    {
        int width = c.Contexts.Max(x => x.Tokens.Count), rows = c.Contexts.Count;
        var values = c.Contexts.Select(x => Enumerable.Range(0, width).Select(i => i < x.Values.Count ? x.Values[i] : double.NaN).ToArray()).ToArray();
        DrawHeatmap(plot, values, c.Contexts.Select(x => x.Label).ToList(), Enumerable.Range(0, width).Select(i => i.ToString()).ToList(), diverging: true);
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < c.Contexts[r].Tokens.Count; i++)
            {
                var text = plot.Add.Text(c.Contexts[r].Tokens[i], i, rows - 1 - r);
                text.LabelFontSize = 11;
                text.LabelAlignment = Alignment.MiddleCenter;
            }
        plot.XLabel("position");
    }
}
