namespace Arrakis;

/// <summary>
/// Edge scores over a transformer's computational graph (<see cref="EdgeAttributionPatching"/>): upstream nodes (the
/// embeddings, each head's output, each MLP's output) into downstream inputs (each head's q/k/v input, each MLP's input,
/// the logits). Every edge whose writer runs before its reader is listed, in upstream-then-downstream order.
/// </summary>
/// <param name="Nodes">Every node, in computation order: input, then per layer its heads (and key/value heads), its MLP; then the logits.</param>
/// <param name="Edges">Every edge with its score.</param>
/// <param name="Method"><c>EAP</c> or <c>EAP-IG</c> (approximations of patching each edge).</param>
/// <param name="Direction">Noising (the literature's EAP: source = corrupted, gradients at the clean run) or denoising.</param>
/// <param name="CleanMetric">The clean run's batch-mean metric.</param>
/// <param name="CorruptedMetric">The corrupted run's batch-mean metric.</param>
/// <param name="ForwardPasses">Forward passes run (EAP: 2; EAP-IG: 2 + one of steps × batch rows).</param>
/// <param name="BackwardPasses">Backward passes run (1).</param>
/// <param name="IntegratedGradientSteps">EAP-IG's steps (0 for EAP).</param>
public sealed record AttributionGraph(
    IReadOnlyList<GraphNode> Nodes,
    IReadOnlyList<GraphEdge> Edges,
    string Method,
    PatchDirection Direction,
    double CleanMetric,
    double CorruptedMetric,
    int ForwardPasses,
    int BackwardPasses,
    int IntegratedGradientSteps)
{
    /// <summary>The <paramref name="count"/> edges of largest |score|, largest first.</summary>
    public IReadOnlyList<GraphEdge> TopEdges(int count) =>
        count < 0 ? throw new ArgumentOutOfRangeException(nameof(count), count, "expected a non-negative count.")
            : Edges.OrderByDescending(e => Math.Abs(e.Score)).Take(count).ToList();

    /// <summary>The edge <paramref name="upstream"/> → <paramref name="downstream"/> through <paramref name="input"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such edge (e.g. the reader runs before the writer).</exception>
    public GraphEdge Edge(string upstream, string downstream, EdgeInput input) =>
        Edges.FirstOrDefault(e => e.Upstream.Name == upstream && e.Downstream.Name == downstream && e.Input == input)
        ?? throw new KeyNotFoundException($"No edge {upstream} -> {downstream} through {input}; an edge needs the writer to run before the reader.");

    /// <summary>The edges leaving <paramref name="node"/>.</summary>
    public IEnumerable<GraphEdge> From(string node) => Edges.Where(e => e.Upstream.Name == node);

    /// <summary>The edges entering <paramref name="node"/>.</summary>
    public IEnumerable<GraphEdge> Into(string node) => Edges.Where(e => e.Downstream.Name == node);
}
