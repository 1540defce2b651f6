using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Arrakis.Plots;

/// <summary>
/// Each figure as an HTML fragment with inline SVG, written by hand (no charting library, no network): heatmap cells,
/// bars, points and edges carry their values (<c>data-value</c> and a <c>&lt;title&gt;</c>), which the report's script
/// shows on hover; the attention view is tokens whose hover highlights the sources (report.js).
/// </summary>
public static class HtmlFigures
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The fragment of <paramref name="figure"/>, its element id <paramref name="id"/>.</summary>
    public static string Render(Figure figure, string id)
    {
        ArgumentNullException.ThrowIfNull(figure);
        figure.Validate();
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<figure class=\"figure\" id=\"{E(id)}\" data-kind=\"{figure.Kind}\">");
        html.Append(CultureInfo.InvariantCulture, $"<figcaption>{E(figure.Title)}</figcaption>");
        html.Append(figure switch
        {
            HeatmapFigure h => Heatmap(h),
            BarFigure b => Bars(b),
            LineFigure l => Lines(l),
            HistogramFigure g => Histogram(g),
            AttentionFigure a => Attention(a),
            GraphFigure g => Graph(g),
            TokenContextsFigure c => Contexts(c),
            _ => throw new ArgumentException($"No HTML view for figure kind '{figure.Kind}'.", nameof(figure)),
        });
        if (figure.Note is not null) html.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">{E(figure.Note)}</p>");
        html.Append("</figure>");
        return html.ToString();
    }

    internal static string E(string text) => WebUtility.HtmlEncode(text);

    internal static string N(double v) => double.IsFinite(v) ? v.ToString("G5", Inv) : v.ToString(Inv);

    private static string F(double v) => v.ToString("0.##", Inv);

    /// <summary>Viridis-like low → high colour (5 stops), or blue → white → red around 0.</summary>
    internal static string Colour(double t, bool diverging)
    {
        if (!double.IsFinite(t)) return "#eeeeee";
        if (diverging)
        {
            t = Math.Clamp(t, -1, 1);
            int a = (int)Math.Round(255 * (1 - Math.Abs(t)));
            return t >= 0 ? $"rgb(255,{a},{a})" : $"rgb({a},{a},255)";
        }
        double[][] stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
        t = Math.Clamp(t, 0, 1) * (stops.Length - 1);
        int i = Math.Min((int)t, stops.Length - 2);
        double f = t - i;
        return $"rgb({(int)(stops[i][0] + f * (stops[i + 1][0] - stops[i][0]))},{(int)(stops[i][1] + f * (stops[i + 1][1] - stops[i][1]))},{(int)(stops[i][2] + f * (stops[i + 1][2] - stops[i][2]))})";
    }

    private static string Heatmap(HeatmapFigure h)
    {
        int rows = h.RowLabels.Count, cols = h.ColumnLabels.Count;
        double cw = Math.Clamp(720.0 / cols, 6, 44), ch = Math.Clamp(420.0 / rows, 6, 32);
        int left = 12 + 7 * Math.Min(24, h.RowLabels.Max(l => l.Length)), bottom = 16 + 6 * Math.Min(28, h.ColumnLabels.Max(l => l.Length)), top = 8;
        double width = left + cols * cw + 90, height = top + rows * ch + bottom + 18;
        var (min, max) = h.Range();
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{F(height)}\" viewBox=\"0 0 {F(width)} {F(height)}\" data-rows=\"{rows}\" data-cols=\"{cols}\">");
        bool labelRows = ch >= 9, labelCols = cw >= 9;
        for (int r = 0; r < rows; r++)
        {
            if (labelRows) s.Append(CultureInfo.InvariantCulture, $"<text class=\"rowlabel\" x=\"{left - 4}\" y=\"{F(top + (r + 0.5) * ch + 4)}\" text-anchor=\"end\">{E(Cut(h.RowLabels[r], 24))}</text>");
            for (int c = 0; c < cols; c++)
            {
                double v = h.Values[r][c];
                double t = h.Diverging ? (max > 0 ? v / max : 0) : (max > min ? (v - min) / (max - min) : 0.5);
                string tip = $"{h.RowAxis} {h.RowLabels[r]}, {h.ColumnAxis} {h.ColumnLabels[c]}: {N(v)}".Trim();
                s.Append(CultureInfo.InvariantCulture,
                    $"<rect class=\"cell\" x=\"{F(left + c * cw)}\" y=\"{F(top + r * ch)}\" width=\"{F(cw)}\" height=\"{F(ch)}\" fill=\"{Colour(t, h.Diverging)}\" data-row=\"{r}\" data-col=\"{c}\" data-value=\"{N(v)}\" data-tip=\"{E(tip)}\"><title>{E(tip)}</title></rect>");
            }
        }
        if (labelCols)
            for (int c = 0; c < cols; c++)
            {
                double x = left + (c + 0.5) * cw, y = top + rows * ch + 6;
                s.Append(CultureInfo.InvariantCulture, $"<text class=\"collabel\" x=\"{F(x)}\" y=\"{F(y)}\" transform=\"rotate(60 {F(x)} {F(y)})\">{E(Cut(h.ColumnLabels[c], 28))}</text>");
            }
        // Colour scale.
        double lx = left + cols * cw + 16;
        for (int i = 0; i < 20; i++)
        {
            double t = h.Diverging ? 1 - i / 9.5 : 1 - i / 19.0;
            s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(lx)}\" y=\"{F(top + i * 8)}\" width=\"14\" height=\"8\" fill=\"{Colour(t, h.Diverging)}\"/>");
        }
        s.Append(CultureInfo.InvariantCulture, $"<text class=\"scale\" x=\"{F(lx + 18)}\" y=\"{top + 8}\">{N(max)}</text><text class=\"scale\" x=\"{F(lx + 18)}\" y=\"{top + 160}\">{N(min)}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{F(left + cols * cw / 2)}\" y=\"{F(height - 4)}\" text-anchor=\"middle\">{E(h.ColumnAxis)}</text>");
        s.Append("</svg>");
        return s.ToString();
    }

    private static string Bars(BarFigure b)
    {
        int n = b.Labels.Count;
        int left = 12 + 7 * Math.Min(28, b.Labels.Max(l => l.Length));
        double bh = 18, plot = 420, height = 12 + n * bh + 28, width = left + plot + 80;
        double lo = Math.Min(0, b.Values.Where(double.IsFinite).DefaultIfEmpty(0).Min()), hi = Math.Max(0, b.Values.Where(double.IsFinite).DefaultIfEmpty(0).Max());
        if (hi <= lo) hi = lo + 1;
        double X(double v) => left + (v - lo) / (hi - lo) * plot;
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg class=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{F(height)}\" viewBox=\"0 0 {F(width)} {F(height)}\">");
        for (int i = 0; i < n; i++)
        {
            double v = b.Values[i], y = 8 + i * bh;
            double x0 = X(Math.Min(0, double.IsFinite(v) ? v : 0)), x1 = X(Math.Max(0, double.IsFinite(v) ? v : 0));
            string tip = $"{b.Labels[i]}: {N(v)}";
            s.Append(CultureInfo.InvariantCulture, $"<g class=\"bar\" data-label=\"{E(b.Labels[i])}\" data-value=\"{N(v)}\" data-tip=\"{E(tip)}\"><title>{E(tip)}</title>");
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{F(y + 13)}\" text-anchor=\"end\">{E(Cut(b.Labels[i], 28))}</text>");
            s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(x0)}\" y=\"{F(y + 2)}\" width=\"{F(Math.Max(0.5, x1 - x0))}\" height=\"{F(bh - 4)}\" fill=\"{(v < 0 ? "#4a78b5" : "#c0504d")}\"/>");
            s.Append(CultureInfo.InvariantCulture, $"<text class=\"value\" x=\"{F(Math.Max(x1, X(0)) + 4)}\" y=\"{F(y + 13)}\">{N(v)}</text></g>");
        }
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(0))}\" x2=\"{F(X(0))}\" y1=\"4\" y2=\"{F(12 + n * bh)}\" stroke=\"#333\"/>");
        s.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{F(left + plot / 2)}\" y=\"{F(height - 4)}\" text-anchor=\"middle\">{E(b.ValueAxis)}</text></svg>");
        return s.ToString();
    }

    private static string Axes(StringBuilder s, double left, double top, double w, double h, double x0, double x1, double y0, double y1, string xAxis, string yAxis)
    {
        s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(left)}\" y=\"{F(top)}\" width=\"{F(w)}\" height=\"{F(h)}\" fill=\"none\" stroke=\"#999\"/>");
        s.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{F(left)}\" y=\"{F(top + h + 14)}\">{N(x0)}</text><text class=\"tick\" x=\"{F(left + w)}\" y=\"{F(top + h + 14)}\" text-anchor=\"end\">{N(x1)}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{F(left - 4)}\" y=\"{F(top + h)}\" text-anchor=\"end\">{N(y0)}</text><text class=\"tick\" x=\"{F(left - 4)}\" y=\"{F(top + 10)}\" text-anchor=\"end\">{N(y1)}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{F(left + w / 2)}\" y=\"{F(top + h + 30)}\" text-anchor=\"middle\">{E(xAxis)}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"12\" y=\"{F(top + h / 2)}\" transform=\"rotate(-90 12 {F(top + h / 2)})\" text-anchor=\"middle\">{E(yAxis)}</text>");
        return "";
    }

    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    private static string Lines(LineFigure l)
    {
        double left = 70, top = 10, w = 560, h = 280;
        var xs = l.Series.SelectMany(s => s.X).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var ys = l.Series.SelectMany(s => s.Y).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        double x0 = xs.Min(), x1 = xs.Max(), y0 = ys.Min(), y1 = ys.Max();
        if (x1 <= x0) x1 = x0 + 1;
        if (y1 <= y0) { y0 -= 0.5; y1 += 0.5; }
        double X(double v) => left + (v - x0) / (x1 - x0) * w;
        double Y(double v) => top + h - (v - y0) / (y1 - y0) * h;
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg class=\"lines\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(left + w + 160)}\" height=\"{F(top + h + 40)}\" viewBox=\"0 0 {F(left + w + 160)} {F(top + h + 40)}\">");
        Axes(s, left, top, w, h, x0, x1, y0, y1, l.XAxis, l.YAxis);
        for (int i = 0; i < l.Series.Count; i++)
        {
            var series = l.Series[i];
            string colour = Palette[i % Palette.Length];
            var points = Enumerable.Range(0, series.X.Count).Where(j => double.IsFinite(series.X[j]) && double.IsFinite(series.Y[j]))
                .Select(j => $"{F(X(series.X[j]))},{F(Y(series.Y[j]))}");
            s.Append(CultureInfo.InvariantCulture, $"<polyline class=\"series\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\" points=\"{string.Join(' ', points)}\"/>");
            if (series.X.Count <= 200)
                for (int j = 0; j < series.X.Count; j++)
                {
                    if (!double.IsFinite(series.Y[j])) continue;
                    string tip = $"{series.Name}: {l.XAxis} {N(series.X[j])}, {l.YAxis} {N(series.Y[j])}";
                    s.Append(CultureInfo.InvariantCulture, $"<circle class=\"point\" cx=\"{F(X(series.X[j]))}\" cy=\"{F(Y(series.Y[j]))}\" r=\"3\" fill=\"{colour}\" data-value=\"{N(series.Y[j])}\" data-tip=\"{E(tip)}\"><title>{E(tip)}</title></circle>");
                }
            s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(left + w + 12)}\" y=\"{F(top + 8 + i * 18)}\" width=\"12\" height=\"3\" fill=\"{colour}\"/><text x=\"{F(left + w + 28)}\" y=\"{F(top + 13 + i * 18)}\">{E(Cut(series.Name, 20))}</text>");
        }
        s.Append("</svg>");
        return s.ToString();
    }

    private static string Histogram(HistogramFigure g)
    {
        double left = 70, top = 10, w = 560, h = 240;
        long peak = Math.Max(1, g.Counts.Max());
        double x0 = g.Edges[0], x1 = g.Edges[^1] > x0 ? g.Edges[^1] : x0 + 1;
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg class=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(left + w + 20)}\" height=\"{F(top + h + 40)}\" viewBox=\"0 0 {F(left + w + 20)} {F(top + h + 40)}\">");
        Axes(s, left, top, w, h, x0, x1, 0, peak, g.ValueAxis, "count");
        for (int i = 0; i < g.Counts.Count; i++)
        {
            double a = left + (g.Edges[i] - x0) / (x1 - x0) * w, b = left + (g.Edges[i + 1] - x0) / (x1 - x0) * w, bh = (double)g.Counts[i] / peak * h;
            string tip = $"[{N(g.Edges[i])}, {N(g.Edges[i + 1])}): {g.Counts[i]}";
            s.Append(CultureInfo.InvariantCulture, $"<rect class=\"bin\" x=\"{F(a)}\" y=\"{F(top + h - bh)}\" width=\"{F(Math.Max(0.5, b - a - 1))}\" height=\"{F(bh)}\" fill=\"#4a78b5\" data-value=\"{g.Counts[i]}\" data-tip=\"{E(tip)}\"><title>{E(tip)}</title></rect>");
        }
        s.Append("</svg>");
        return s.ToString();
    }

    private static string Attention(AttentionFigure a)
    {
        var data = new
        {
            tokens = a.Tokens,
            heads = a.Heads,
            patterns = a.Patterns.Select(h => h.Select(q => q.Select(v => Math.Round(v, 4)).ToArray()).ToArray()).ToArray(),
        };
        var s = new StringBuilder("<div class=\"attention\">");
        s.Append("<div class=\"heads-select\">heads: ");
        for (int h = 0; h < a.Heads.Count; h++)
            s.Append(CultureInfo.InvariantCulture, $"<label><input type=\"checkbox\" class=\"head-toggle\" data-head=\"{h}\"{(h < 4 ? " checked" : "")}> {E(a.Heads[h])}</label> ");
        s.Append("</div><p class=\"attention-info\">Hover a token: the tokens it attends to (its sources) light up with their weights.</p><div class=\"panels\">");
        for (int h = 0; h < a.Heads.Count; h++)
        {
            s.Append(CultureInfo.InvariantCulture, $"<div class=\"head-panel\" data-head=\"{h}\"{(h < 4 ? "" : " hidden")}><h4>{E(a.Heads[h])}</h4><div class=\"tokens\">");
            for (int i = 0; i < a.Tokens.Count; i++)
                s.Append(CultureInfo.InvariantCulture, $"<span class=\"tok\" data-pos=\"{i}\">{E(Visible(a.Tokens[i]))}<sub class=\"w\"></sub></span>");
            s.Append("</div></div>");
        }
        s.Append("</div><script type=\"application/json\" class=\"attention-data\">");
        s.Append(JsonSerializer.Serialize(data).Replace("</", "<\\/"));
        s.Append("</script></div>");
        return s.ToString();
    }

    private static string Graph(GraphFigure g)
    {
        var columns = g.Nodes.GroupBy(n => n.Layer).OrderBy(x => x.Key).Select(x => x.ToList()).ToList();
        int tallest = columns.Max(c => c.Count);
        double colW = 130, rowH = 44, width = 40 + columns.Count * colW, height = 30 + tallest * rowH;
        var at = new Dictionary<string, (double X, double Y)>(StringComparer.Ordinal);
        for (int c = 0; c < columns.Count; c++)
            for (int r = 0; r < columns[c].Count; r++)
                at[columns[c][r].Id] = (40 + c * colW, 24 + (r + (tallest - columns[c].Count) / 2.0) * rowH);
        double scale = g.Edges.Select(e => Math.Abs(e.Weight)).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        if (scale <= 0) scale = 1;
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{F(height)}\" viewBox=\"0 0 {F(width)} {F(height)}\">");
        foreach (var e in g.Edges.OrderBy(e => Math.Abs(e.Weight)))
        {
            var (x0, y0) = at[e.From];
            var (x1, y1) = at[e.To];
            string tip = $"{e.From} → {e.To}{(e.Label is null ? "" : $" ({e.Label})")}: {N(e.Weight)}";
            s.Append(CultureInfo.InvariantCulture,
                $"<g class=\"edge\" data-value=\"{N(e.Weight)}\" data-tip=\"{E(tip)}\"><title>{E(tip)}</title><path d=\"M{F(x0)},{F(y0)} C{F((x0 + x1) / 2)},{F(y0)} {F((x0 + x1) / 2)},{F(y1)} {F(x1)},{F(y1)}\" fill=\"none\" stroke=\"{(e.Weight < 0 ? "#4a78b5" : "#c0504d")}\" stroke-opacity=\"0.7\" stroke-width=\"{F(0.5 + 5 * Math.Abs(e.Weight) / scale)}\"/></g>");
        }
        foreach (var n in g.Nodes)
        {
            var (x, y) = at[n.Id];
            s.Append(CultureInfo.InvariantCulture, $"<g class=\"node\" data-id=\"{E(n.Id)}\"><circle cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"7\" fill=\"#2f4f4f\"/><text x=\"{F(x + 10)}\" y=\"{F(y - 8)}\">{E(Cut(n.Label, 18))}</text></g>");
        }
        s.Append("</svg>");
        return s.ToString();
    }

    private static string Contexts(TokenContextsFigure c)
    {
        double scale = c.Scale();
        var s = new StringBuilder("<div class=\"contexts\">");
        foreach (var context in c.Contexts)
        {
            s.Append(CultureInfo.InvariantCulture, $"<div class=\"context\"><span class=\"context-label\">{E(context.Label)}</span> ");
            for (int i = 0; i < context.Tokens.Count; i++)
            {
                double v = context.Values[i];
                string tip = $"{i}: {context.Tokens[i]} = {N(v)}";
                s.Append(CultureInfo.InvariantCulture, $"<span class=\"ctok\" style=\"background:{Colour(v / scale, diverging: true)}\" data-value=\"{N(v)}\" data-tip=\"{E(tip)}\" title=\"{E(tip)}\">{E(Visible(context.Tokens[i]))}</span>");
            }
            s.Append("</div>");
        }
        s.Append("</div>");
        return s.ToString();
    }

    private static string Visible(string token) => token.Length == 0 ? "∅" : token.Replace("\n", "↵").Replace(" ", "·");

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
