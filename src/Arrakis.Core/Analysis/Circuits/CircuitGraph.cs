namespace Arrakis.Circuits;

/// <summary>A downstream input of the graph: a node and which of its inputs is read (a head's q, k or v; an MLP's input; the logits).</summary>
/// <param name="Node">The reader.</param>
/// <param name="Input">Which input.</param>
public sealed record GraphInput(GraphNode Node, EdgeInput Input);

/// <summary>
/// The whole computational graph of a model at the granularity of <see cref="EdgeAttributionPatching"/> (the same nodes, inputs
/// and edges, in the same order): upstream writers (input, each head, each MLP) into downstream inputs (each head's q/k/v —
/// each key/value head's k/v under grouped-query attention —, each MLP's input, the logits), an edge wherever the writer runs
/// before the reader. Edges here carry no score; a <see cref="Circuit"/> is a subset of them.
/// </summary>
public sealed class CircuitGraph
{
    private readonly Dictionary<string, int> _edgeIndex;

    private CircuitGraph(HookedTransformerConfig cfg, List<GraphNode> upstream, List<GraphInput> downstream, List<GraphEdge> edges)
    {
        Config = cfg;
        Upstream = upstream;
        Downstream = downstream;
        Edges = edges;
        _edgeIndex = edges.Select((e, i) => (e.Name, i)).ToDictionary(p => p.Name, p => p.i);
        UpstreamIndex = edges.Select(e => upstream.IndexOf(e.Upstream)).ToArray();
        DownstreamIndex = edges.Select(e => downstream.IndexOf(new GraphInput(e.Downstream, e.Input))).ToArray();
        Readable = downstream.Select(d => upstream.Count(u => EdgeAttributionPatching.WriteSlot(u, cfg) < EdgeAttributionPatching.ReadSlot(d.Node, d.Input, cfg))).ToArray();
    }

    /// <summary>The model's configuration.</summary>
    public HookedTransformerConfig Config { get; }

    /// <summary>Writers in the order they run: input; per layer its heads, then its MLP.</summary>
    public IReadOnlyList<GraphNode> Upstream { get; }

    /// <summary>Readers in the order they run: per layer its heads' q, k, v inputs, then its MLP's input; the logits last.</summary>
    public IReadOnlyList<GraphInput> Downstream { get; }

    /// <summary>Every edge, writer-major (the order of <see cref="AttributionGraph.Edges"/>), score 0.</summary>
    public IReadOnlyList<GraphEdge> Edges { get; }

    /// <summary>For each edge, the index of its writer in <see cref="Upstream"/>.</summary>
    internal int[] UpstreamIndex { get; }

    /// <summary>For each edge, the index of its reader in <see cref="Downstream"/>.</summary>
    internal int[] DownstreamIndex { get; }

    /// <summary>For each reader, how many writers (a prefix of <see cref="Upstream"/>) run before it.</summary>
    internal int[] Readable { get; }

    /// <summary>The index of the edge called <paramref name="name"/> (<c>L0H2->L1H0&lt;k&gt;</c>), or −1.</summary>
    public int IndexOf(string name) => _edgeIndex.TryGetValue(name, out int i) ? i : -1;

    /// <summary>The graph of a model with configuration <paramref name="cfg"/>.</summary>
    public static CircuitGraph Of(HookedTransformerConfig cfg)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        int kvHeads = cfg.EffectiveKeyValueHeads;
        bool grouped = kvHeads != cfg.NHeads;
        var upstream = new List<GraphNode> { GraphNode.Input };
        var downstream = new List<GraphInput>();
        for (int l = 0; l < cfg.NLayers; l++)
        {
            upstream.AddRange(Enumerable.Range(0, cfg.NHeads).Select(h => GraphNode.AttentionHead(l, h)));
            downstream.AddRange(Enumerable.Range(0, cfg.NHeads).Select(h => new GraphInput(GraphNode.AttentionHead(l, h), EdgeInput.Query)));
            foreach (var input in new[] { EdgeInput.Key, EdgeInput.Value })
                downstream.AddRange(Enumerable.Range(0, kvHeads).Select(h => new GraphInput(grouped ? GraphNode.KeyValueHead(l, h) : GraphNode.AttentionHead(l, h), input)));
            if (!cfg.AttnOnly)
            {
                upstream.Add(GraphNode.Mlp(l));
                downstream.Add(new GraphInput(GraphNode.Mlp(l), EdgeInput.Mlp));
            }
        }
        downstream.Add(new GraphInput(GraphNode.Logits(cfg.NLayers), EdgeInput.Logits));
        var edges = new List<GraphEdge>();
        foreach (var u in upstream)
            foreach (var d in downstream)
                if (EdgeAttributionPatching.WriteSlot(u, cfg) < EdgeAttributionPatching.ReadSlot(d.Node, d.Input, cfg))
                    edges.Add(new GraphEdge(u, d.Node, d.Input, 0));
        return new CircuitGraph(cfg, upstream, downstream, edges);
    }
}
