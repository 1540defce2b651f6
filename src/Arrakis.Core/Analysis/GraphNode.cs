namespace Arrakis;

/// <summary>What a node of a transformer's computational graph is.</summary>
public enum GraphNodeKind
{
    /// <summary>The token and position embeddings, summed: <c>input</c>.</summary>
    Input,

    /// <summary>An attention head, <c>L{layer}H{head}</c>: upstream, its output z·W_O; downstream, its query input (and key/value inputs without GQA).</summary>
    AttentionHead,

    /// <summary>A key/value head under grouped-query attention, <c>L{layer}KV{head}</c>: the key and value inputs its query heads share.</summary>
    KeyValueHead,

    /// <summary>An MLP, <c>MLP{layer}</c>: upstream its output, downstream its input.</summary>
    Mlp,

    /// <summary>The unembedding's input (the final residual stream): <c>logits</c>.</summary>
    Logits,
}

/// <summary>A node of the graph edge attribution scores (<see cref="AttributionGraph"/>).</summary>
/// <param name="Name"><c>input</c>, <c>L1H2</c>, <c>L1KV0</c>, <c>MLP3</c>, <c>logits</c>.</param>
/// <param name="Kind">What the node is.</param>
/// <param name="Layer">Its block (−1 for the input, n_layers for the logits).</param>
/// <param name="Head">The head or key/value head (−1 for other nodes).</param>
public sealed record GraphNode(string Name, GraphNodeKind Kind, int Layer, int Head)
{
    /// <summary>The embeddings.</summary>
    public static GraphNode Input { get; } = new("input", GraphNodeKind.Input, -1, -1);

    /// <summary>An attention head.</summary>
    public static GraphNode AttentionHead(int layer, int head) => new($"L{layer}H{head}", GraphNodeKind.AttentionHead, layer, head);

    /// <summary>A key/value head (grouped-query attention).</summary>
    public static GraphNode KeyValueHead(int layer, int head) => new($"L{layer}KV{head}", GraphNodeKind.KeyValueHead, layer, head);

    /// <summary>An MLP.</summary>
    public static GraphNode Mlp(int layer) => new($"MLP{layer}", GraphNodeKind.Mlp, layer, -1);

    /// <summary>The logits of a model with <paramref name="layers"/> blocks.</summary>
    public static GraphNode Logits(int layers) => new("logits", GraphNodeKind.Logits, layers, -1);

    /// <inheritdoc />
    public override string ToString() => Name;
}
