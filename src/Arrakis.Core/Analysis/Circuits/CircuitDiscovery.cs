using static TorchSharp.torch;

namespace Arrakis.Circuits;

/// <summary>
/// Automatic circuit discovery. <see cref="Eap"/>: rank every edge by edge attribution patching (EAP, Syed et al. 2023) or
/// EAP-IG (Hanna et al. 2024) — <b>approximate</b> scores — and keep the top k or those above a threshold. <see cref="Acdc"/>:
/// greedy pruning with exact patching (Conmy et al. 2023). Both return a <see cref="Circuit"/> whose faithfulness is measured
/// exactly by <see cref="CircuitPatcher"/>.
/// </summary>
public static class CircuitDiscovery
{
    /// <summary>
    /// EAP / EAP-IG discovery: the edges of largest |score| (the <paramref name="topK"/> largest, or every one with
    /// |score| ≥ <paramref name="threshold"/>), dangling edges removed (<see cref="Prune"/>), then evaluated.
    /// </summary>
    /// <param name="patcher">The model, clean tokens, corruption and metric (its graph).</param>
    /// <param name="model">The model the patcher was made for.</param>
    /// <param name="cleanTokens">The tokens the patcher was made for.</param>
    /// <param name="metric">The patcher's metric.</param>
    /// <param name="topK">Keep this many edges (before pruning), or <c>null</c> to use <paramref name="threshold"/>.</param>
    /// <param name="threshold">Keep edges with |score| ≥ this, when <paramref name="topK"/> is <c>null</c>.</param>
    /// <param name="integratedGradientSteps">0: EAP; m ≥ 1: EAP-IG with m steps.</param>
    /// <exception cref="ArgumentException">Neither or both of top-k and threshold, a negative value.</exception>
    public static Circuit Eap(CircuitPatcher patcher, HookedTransformer model, Tensor cleanTokens, Func<Tensor, Tensor> metric,
        int? topK = null, double? threshold = null, int integratedGradientSteps = 0)
    {
        ArgumentNullException.ThrowIfNull(patcher);
        ArgumentNullException.ThrowIfNull(model);
        if (topK is null == threshold is null)
            throw new ArgumentException($"topK is {topK?.ToString() ?? "null"} and threshold {threshold?.ToString() ?? "null"}; expected exactly one of them.", nameof(topK));
        if (topK < 0)
            throw new ArgumentOutOfRangeException(nameof(topK), topK, "expected a non-negative number of edges.");
        if (threshold is < 0 or double.NaN)
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "expected a non-negative |score| threshold.");
        var graph = Score(patcher, model, cleanTokens, metric, integratedGradientSteps);
        var ranked = graph.Edges.OrderByDescending(e => Math.Abs(e.Score)).ToList();
        var chosen = topK is int k ? ranked.Take(k).ToList() : ranked.Where(e => Math.Abs(e.Score) >= threshold!.Value).ToList();
        var edges = Prune(chosen);
        string method = $"{graph.Method}{(integratedGradientSteps > 0 ? $" ({integratedGradientSteps} steps)" : "")}, " + (topK is int t ? $"top {t}" : $"|score| ≥ {threshold:G3}");
        return Finish(patcher, model, method, edges, graph.ForwardPasses, graph.BackwardPasses);
    }

    /// <summary>
    /// Every edge scored by EAP (<paramref name="integratedGradientSteps"/> = 0) or EAP-IG, noising: score(u → v) ≈ M(clean with
    /// u → v corrupted) − M(clean), with the patcher's corruption as the source writes.
    /// </summary>
    public static AttributionGraph Score(CircuitPatcher patcher, HookedTransformer model, Tensor cleanTokens, Func<Tensor, Tensor> metric, int integratedGradientSteps = 0)
    {
        ArgumentNullException.ThrowIfNull(patcher);
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var clean = InputValidation.Tokens(cleanTokens, model.Cfg, nameof(cleanTokens)).to(model.Device);
        var (source, transform) = patcher.Corruption.Source(model, clean);
        return EdgeAttributionPatching.Run(model, clean, source, metric, PatchDirection.Noising, integratedGradientSteps, transform);
    }

    /// <summary>
    /// ACDC (Conmy et al. 2023), with exact edge patching: start from every edge; visit the readers from the logits backwards
    /// (the reverse of computation order); a node that no longer feeds anything loses its inputs; otherwise each edge into
    /// it, latest writer first, is removed when the normalised metric moves by less than <paramref name="threshold"/>:
    /// |M(C \ e) − M(C)| / |M(model) − M(∅)| &lt; τ. One forward pass per edge tried.
    /// </summary>
    /// <param name="patcher">The model, clean tokens, corruption and metric.</param>
    /// <param name="model">The model the patcher was made for (its name is recorded).</param>
    /// <param name="threshold">τ, in units of the clean–corrupted gap (e.g. 0.01).</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative or non-finite threshold.</exception>
    public static Circuit Acdc(CircuitPatcher patcher, HookedTransformer model, double threshold)
    {
        ArgumentNullException.ThrowIfNull(patcher);
        ArgumentNullException.ThrowIfNull(model);
        if (!(threshold >= 0) || double.IsInfinity(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "expected a finite threshold ≥ 0, in units of the clean–corrupted metric gap.");
        var graph = patcher.Graph;
        int forwardBefore = patcher.ForwardPasses;
        double gap = Math.Abs(patcher.CleanMetric - patcher.CorruptedMetric);
        if (gap == 0)
            throw new ArgumentException($"The clean and corrupted metrics are equal ({patcher.CleanMetric:G4}); ACDC's threshold is relative to their gap. Choose a corruption that changes the metric.", nameof(patcher));
        var current = Enumerable.Repeat(true, graph.Edges.Count).ToArray();
        var scores = new double[graph.Edges.Count];
        double metric = patcher.CleanMetric;
        var readers = graph.Downstream.Select((d, i) => (d, i)).Reverse().GroupBy(p => p.d.Node, p => p.i);
        foreach (var node in readers)
        {
            var incoming = Enumerable.Range(0, graph.Edges.Count).Where(e => node.Contains(graph.DownstreamIndex[e]))
                .OrderByDescending(e => graph.UpstreamIndex[e]).ThenBy(e => graph.DownstreamIndex[e]).ToList();
            bool feedsSomething = node.Key.Kind == GraphNodeKind.Logits
                || Enumerable.Range(0, graph.Edges.Count).Any(e => current[e] && Feeds(graph.Edges[e].Upstream, node.Key));
            if (!feedsSomething)
            {
                foreach (int e in incoming)
                    current[e] = false;  // exact: the node's output reaches nothing
                continue;
            }
            foreach (int e in incoming)
            {
                current[e] = false;
                double without = patcher.Metrics([current])[0];
                scores[e] = without - metric;
                if (Math.Abs(without - metric) / gap < threshold)
                    metric = without;
                else
                    current[e] = true;
            }
        }
        var edges = Prune(graph.Edges.Where((_, i) => current[i]).Select((e, _) => e with { Score = scores[graph.IndexOf(e.Name)] }).ToList());
        return Finish(patcher, model, $"ACDC, τ = {threshold:G3}", edges, patcher.ForwardPasses - forwardBefore, 0);
    }

    /// <summary>Whether an edge from <paramref name="upstream"/> leaves the reader <paramref name="node"/> (a key/value head is fed by its query heads' outputs).</summary>
    private static bool Feeds(GraphNode upstream, GraphNode node) =>
        node.Kind == GraphNodeKind.KeyValueHead ? upstream.Kind == GraphNodeKind.AttentionHead && upstream.Layer == node.Layer : upstream == node;

    /// <summary>
    /// Removes edges that cannot matter, until none is left: an edge into a node (other than the logits) that has no outgoing
    /// edge, and an edge out of a node (other than the input) that has no incoming edge — with every input corrupted, a node
    /// writes exactly its corrupted value, so its outgoing edges carry nothing. The metric of the circuit is unchanged.
    /// </summary>
    /// <remarks>Under grouped-query attention a key/value head's k/v inputs count as inputs of each of its query heads.</remarks>
    public static IReadOnlyList<GraphEdge> Prune(IEnumerable<GraphEdge> edges)
    {
        var kept = edges.ToList();
        while (true)
        {
            var writers = kept.Select(e => e.Upstream).ToHashSet();
            var fed = kept.Select(e => e.Downstream).ToHashSet();
            bool HasOutput(GraphNode n) => n.Kind == GraphNodeKind.Logits || writers.Contains(n)
                || (n.Kind == GraphNodeKind.KeyValueHead && writers.Any(w => w.Kind == GraphNodeKind.AttentionHead && w.Layer == n.Layer));
            bool HasInput(GraphNode n) => n.Kind == GraphNodeKind.Input || fed.Contains(n)
                || (n.Kind == GraphNodeKind.AttentionHead && fed.Any(f => f.Kind == GraphNodeKind.KeyValueHead && f.Layer == n.Layer));
            var next = kept.Where(e => HasOutput(e.Downstream) && HasInput(e.Upstream)).ToList();
            if (next.Count == kept.Count)
                return kept.OrderByDescending(e => Math.Abs(e.Score)).ToList();
            kept = next;
        }
    }

    private static Circuit Finish(CircuitPatcher patcher, HookedTransformer model, string method, IReadOnlyList<GraphEdge> edges, int forward, int backward)
    {
        int before = patcher.ForwardPasses;
        var evaluation = patcher.Evaluate(edges);
        return new Circuit(model.Cfg.ModelName ?? "model", method, patcher.Corruption.Kind.ToString().ToLowerInvariant(), edges, patcher.Graph.Edges.Count,
            evaluation, forward + patcher.ForwardPasses - before, backward);
    }
}
