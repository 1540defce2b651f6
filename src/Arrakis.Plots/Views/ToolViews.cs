using Arrakis.Circuits;
using Arrakis.Tools;

namespace Arrakis.Plots;

/// <summary>
/// The default views of every built-in tool's result (decomposer, logit, composer, patching, attention, lens,
/// readwrite, residual, circuits): what a reader of that result looks at first. <see cref="Views.For"/> dispatches here.
/// </summary>
public static class ToolViews
{
    /// <summary>The figures of a tool result (none for a value this class does not know).</summary>
    /// <param name="value">The result.</param>
    /// <param name="title">A prefix for the figures' titles (e.g. the experiment), or null.</param>
    /// <param name="tokenText">Token id → text for labels; default: the id.</param>
    public static IReadOnlyList<Figure> For(object value, string? title = null, Func<long, string>? tokenText = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        Func<long, string> tok = tokenText ?? (id => id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string T(string what) => title is null ? what : $"{title}: {what}";
        List<string> Positions(IReadOnlyList<long> tokens) => tokens.Select((t, i) => $"{i}: {tok(t)}").ToList();
        return value switch
        {
            // decomposer
            ResidualDecompositionResult r => [Views.Bars(T($"{r.HookName} at position {r.Position}, by component ({r.RankedBy})"),
                r.Components.Select(c => c.Label).ToList(), r.Components.Select(c => c.Projection ?? c.Norm).ToList(), r.RankedBy == "projection" ? "projection" : "‖component‖")],
            // logit
            LogitAttributionResult l => LogitViews(l, T, tok),
            TokenCirculationResult c => [Views.Lines(T($"Token {tok(c.TargetToken)} through the layers (position {c.Position})"), "layer", "logit",
                new LineSeries("lens logit", c.Steps.Select(s => (double)s.Layer).ToList(), c.Steps.Select(s => s.LensLogit).ToList()),
                new LineSeries("attention move", c.Steps.Select(s => (double)s.Layer).ToList(), c.Steps.Select(s => s.AttentionMove).ToList()),
                new LineSeries("MLP move", c.Steps.Select(s => (double)s.Layer).ToList(), c.Steps.Select(s => s.MlpMove).ToList()))],
            // composer
            CompositionScoresResult s => [CompositionHeatmap(s, T)],
            HeadCompositionResult h => [Views.Bars(T($"Composition {h.Writer} → {h.Reader} (random baseline {h.RandomBaseline:F3})"),
                ["Q", "K", "V", "random"], [h.QComposition, h.KComposition, h.VComposition, h.RandomBaseline], "score")],
            AttentionPathPatchingTable p => [Views.Bars(T("Path patching: share of the sender's effect carried by each path"),
                p.Paths.Select(x => $"{x.Sender} → {string.Join("+", x.Receivers)} ({x.Through})").ToList(), p.Paths.Select(x => x.Fraction ?? double.NaN).ToList(), "fraction")],
            AttentionPathPatchingResult p => [Views.Bars(T($"Path patching {p.Sender} → {string.Join(", ", p.Receivers)} ({p.Through})"), ["clean", "sender ablated", "path patched"],
                [p.Clean, p.Corrupted, p.Patched], "metric")],
            // patching
            PatchingTable p => [PatchingView(p, T)],
            EdgeAttributionTable e => [EdgeGraph(e, T)],
            Circuit c => [CircuitView(c, T)],
            // attention
            AttentionPatternsResult a => [Views.Attention(T($"Attention patterns of sequence {a.BatchIndex}"), a.Patterns, a.Tokens.Select(tok).ToList()),
                Views.Heatmap(T("Attention to the previous token, mean over queries"), HeadGrid(a.Heads.Select(h => (h.Head, h.Previous))), LayerLabels(a.Heads.Select(h => h.Head)), HeadLabels(a.Heads.Select(h => h.Head)), "layer", "head")],
            HeadDetectionResult d => [Views.Heatmap(T($"Head detector: {d.Pattern} score"), HeadGrid(d.Scores.Select(s => (s.Head, s.Score))),
                LayerLabels(d.Scores.Select(s => s.Head)), HeadLabels(d.Scores.Select(s => s.Head)), "layer", "head")],
            HeadAblationResult a => [Views.Heatmap(T($"{a.Kind} ablation: metric change per head (clean {a.Clean:F3})"), HeadGrid(a.Heads.Select(h => (h.Head, h.Ablated - h.Clean))),
                LayerLabels(a.Heads.Select(h => h.Head)), HeadLabels(a.Heads.Select(h => h.Head)), "layer", "head", diverging: true)],
            TopAttendedIdsResult t => [Views.Heatmap(T($"Top attended sources of {t.Head}"),
                t.Queries.Select(q => Enumerable.Range(0, t.Queries.Count).Select(k => q.Sources.FirstOrDefault(s => s.Position == k)?.Weight ?? double.NaN).ToArray()).ToArray(),
                t.Queries.Select(q => $"{q.Position}: {tok(q.Token)}").ToList(), t.Queries.Select(q => $"{q.Position}: {tok(q.Token)}").ToList(), "query", "source")],
            // lens
            LensResult l => [Views.Heatmap(T($"{l.Lens}: probability of the next token, layer × position"),
                l.Layers.Select(x => x.Positions.Select(c => c.TargetProbability).ToArray()).ToArray(), l.Layers.Select(x => x.Label).ToList(), Positions(l.Tokens), "layer", "position"),
                Views.Heatmap(T($"{l.Lens}: KL to the output (nats), layer × position"),
                l.Layers.Select(x => x.Positions.Select(c => c.Kl).ToArray()).ToArray(), l.Layers.Select(x => x.Label).ToList(), Positions(l.Tokens), "layer", "position")],
            LensComparisonResult c => [Views.Lines(T("KL to the output per layer (nats)"), "layer", "KL",
                new LineSeries("logit lens", c.Layers.Select((_, i) => (double)i).ToList(), c.Layers.Select(x => x.LogitLens).ToList()),
                new LineSeries("tuned lens", c.Layers.Select((_, i) => (double)i).ToList(), c.Layers.Select(x => x.TunedLens).ToList()))],
            // readwrite
            CopyingScoresResult c => [Views.Heatmap(T("Copying score per head"), HeadGrid(c.Scores.Select(s => (s.Head, s.Score))),
                LayerLabels(c.Scores.Select(s => s.Head)), HeadLabels(c.Scores.Select(s => s.Head)), "layer", "head", diverging: true)],
            OvCircuitResult o => [Views.Bars(T($"{o.Head} attending to {tok(o.SourceToken)}: top logit changes (full OV)"), o.Top.Select(t => tok(t.Token)).ToList(), o.Top.Select(t => t.Value).ToList(), "logit change")],
            QkCircuitResult q => [Views.Bars(T($"{q.Head} query {tok(q.QueryToken)}: top keys (full QK)"), q.Top.Select(t => tok(t.Token)).ToList(), q.Top.Select(t => t.Value).ToList(), "attention score")],
            PositionalQkResult p => [Views.Bars(T($"{p.Head}: preferred key per query position"), p.PreferredKey.Select((_, i) => i.ToString()).ToList(), p.PreferredKey.Select(k => (double)k).ToList(), "key position")],
            SvdInterpreterResult s => [Views.Bars(T($"Singular values of {s.Target} (layer {s.Layer}{(s.Head is int h ? $", head {h}" : "")})"),
                s.Directions.Select(d => d.Index.ToString()).ToList(), s.Directions.Select(d => d.SingularValue).ToList(), "singular value")],
            // residual
            ResidualMovementResult m => [Views.Lines(T($"Residual stream of sequence {m.BatchIndex} through the blocks"), "layer", "norm",
                new LineSeries("‖before‖", m.Steps.Select(s => (double)s.Layer).ToList(), m.Steps.Select(s => s.NormBefore).ToList()),
                new LineSeries("‖after‖", m.Steps.Select(s => (double)s.Layer).ToList(), m.Steps.Select(s => s.NormAfter).ToList()))],
            FeatureAttributionResult f => [new TokenContextsFigure(T($"{f.Method}: attribution of token {tok(f.TargetToken)}'s logit at position {f.Position} to each input token"),
                [new TokenContext($"Σ = {f.Total:F3}, logit − baseline = {f.Logit - f.BaselineLogit:F3}", f.Sources.Select(s => tok(s.Token)).ToList(), f.Sources.Select(s => s.Value).ToList())])],
            _ => [],
        };
    }

    private static IReadOnlyList<Figure> LogitViews(LogitAttributionResult l, Func<string, string> T, Func<long, string> tok)
    {
        var figures = new List<Figure>
        {
            Views.Bars(T($"Direct logit attribution of token {tok(l.TargetIdx)} at position {l.Position} (Σ = logit − bias = {l.Total:F3})"),
                l.Components.Select(c => c.Label).ToList(), l.Components.Select(c => c.Value).ToList(), "logit"),
        };
        if (l.Heads.Count > 0 && l.Heads[0].PerSource.Count > 0)
            figures.Add(Views.Heatmap(T("Each head's attribution by source position"), l.Heads.Select(h => h.PerSource.ToArray()).ToArray(),
                l.Heads.Select(h => h.Head.ToString()).ToList(), l.Sources.Select(s => $"{s.Position}: {tok(s.Token)}").Concat(Enumerable.Range(l.Sources.Count, Math.Max(0, l.Heads[0].PerSource.Count - l.Sources.Count)).Select(i => i.ToString())).Take(l.Heads[0].PerSource.Count).ToList(),
                "head", "source", diverging: true));
        return figures;
    }

    private static Figure CompositionHeatmap(CompositionScoresResult s, Func<string, string> T)
    {
        var writers = s.Pairs.Select(p => p.Writer).Distinct().OrderBy(h => h.Layer).ThenBy(h => h.Head).ToList();
        var readers = s.Pairs.Select(p => p.Reader).Distinct().OrderBy(h => h.Layer).ThenBy(h => h.Head).ToList();
        return Views.Heatmap(T($"{s.Kind}-composition scores, writer × reader (random baseline {s.RandomBaseline:F3})"),
            writers.Select(w => readers.Select(r => s.Pairs.FirstOrDefault(p => p.Writer == w && p.Reader == r)?.Score ?? double.NaN).ToArray()).ToArray(),
            writers.Select(w => w.ToString()).ToList(), readers.Select(r => r.ToString()).ToList(), "writer", "reader");
    }

    private static Figure PatchingView(PatchingTable p, Func<string, string> T)
    {
        string what = p.IsExact ? "activation patching" : $"{p.Method} (attribution patching: an estimate)";
        string title = T($"{what} of {p.Activation} [{string.Join(" × ", p.Axes)}], {p.Direction}: effect = patched − baseline");
        using var cpu = p.Values.detach().cpu().to_type(TorchSharp.torch.ScalarType.Float64);
        double[] flat = cpu.data<double>().ToArray().Select(v => v - p.Baseline).ToArray();
        var shape = p.Values.shape;
        if (shape.Length == 2)
        {
            var grid = Enumerable.Range(0, (int)shape[0]).Select(r => flat.AsSpan(r * (int)shape[1], (int)shape[1]).ToArray()).ToArray();
            return Views.Heatmap(title, grid, Enumerable.Range(0, (int)shape[0]).Select(i => $"{p.Axes[0]} {i}").ToList(),
                Enumerable.Range(0, (int)shape[1]).Select(i => $"{p.Axes[1]} {i}").ToList(), p.Axes[0], p.Axes[1], diverging: true);
        }
        return Views.FromArray(title, flat, shape);
    }

    private static Figure EdgeGraph(EdgeAttributionTable e, Func<string, string> T)
    {
        var strongest = e.Edges.OrderByDescending(x => Math.Abs(x.Score)).Take(FigureLimits.MaxGraphNodes).ToList();
        var names = strongest.SelectMany(x => new[] { x.Upstream, x.Downstream }).Distinct().Take(FigureLimits.MaxGraphNodes).ToHashSet();
        var order = e.Nodes.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i);
        var nodes = names.Select(n => new FigureNode(n, n, GraphLayers.LayerOf(n, order))).ToList();
        var edges = strongest.Where(x => names.Contains(x.Upstream) && names.Contains(x.Downstream))
            .Select(x => new FigureEdge(x.Upstream, x.Downstream, x.Score, x.Input)).ToList();
        var figure = new GraphFigure(T($"{e.Method} edge scores ({e.Direction}; an estimate of patching each edge)"), nodes, edges)
        { Note = e.Edges.Count > strongest.Count ? $"The {strongest.Count} strongest of {e.Edges.Count} edges." : null };
        figure.Validate();
        return figure;
    }

    /// <summary>A discovered circuit (issue 19's <see cref="Circuit"/>): its edges, strongest first, as a layered graph.</summary>
    private static Figure CircuitView(Circuit c, Func<string, string> T)
    {
        var shown = c.Edges.OrderByDescending(x => Math.Abs(x.Score)).Take(FigureLimits.MaxGraphNodes).ToList();
        var names = shown.SelectMany(x => new[] { x.Upstream.Name, x.Downstream.Name }).Distinct().Take(FigureLimits.MaxGraphNodes).ToHashSet();
        var nodes = names.Select(n => new FigureNode(n, n, GraphLayers.LayerOf(n))).ToList();
        var edges = shown.Where(x => names.Contains(x.Upstream.Name) && names.Contains(x.Downstream.Name))
            .Select(x => new FigureEdge(x.Upstream.Name, x.Downstream.Name, x.Score, x.Input.ToString().ToLowerInvariant())).ToList();
        string faithfulness = c.Evaluation is { } e ? $", faithfulness {e.Faithfulness:F3}" : "";
        var figure = new GraphFigure(T($"Circuit ({c.Method}, {c.Corruption} corruption): {c.Edges.Count} of {c.GraphEdges} edges{faithfulness}"), nodes, edges)
        { Note = c.Edges.Count > shown.Count ? $"The {shown.Count} strongest of the circuit's {c.Edges.Count} edges." : null };
        figure.Validate();
        return figure;
    }

    internal static double[][] HeadGrid(IEnumerable<(HeadIndex Head, double Value)> values)
    {
        var list = values.ToList();
        int layers = list.Max(v => v.Head.Layer) + 1, heads = list.Max(v => v.Head.Head) + 1;
        var grid = Enumerable.Range(0, layers).Select(_ => Enumerable.Repeat(double.NaN, heads).ToArray()).ToArray();
        foreach (var (h, v) in list) grid[h.Layer][h.Head] = v;
        return grid;
    }

    internal static List<string> LayerLabels(IEnumerable<HeadIndex> heads) => Enumerable.Range(0, heads.Max(h => h.Layer) + 1).Select(l => $"L{l}").ToList();

    internal static List<string> HeadLabels(IEnumerable<HeadIndex> heads) => Enumerable.Range(0, heads.Max(h => h.Head) + 1).Select(h => $"H{h}").ToList();
}
