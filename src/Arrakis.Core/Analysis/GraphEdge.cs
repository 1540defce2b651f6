namespace Arrakis;

/// <summary>Which input of the downstream node an edge enters.</summary>
public enum EdgeInput
{
    /// <summary>A head's query input (<c>hook_q_input</c>).</summary>
    Query,

    /// <summary>A head's (or key/value head's) key input (<c>hook_k_input</c>).</summary>
    Key,

    /// <summary>A head's (or key/value head's) value input (<c>hook_v_input</c>).</summary>
    Value,

    /// <summary>An MLP's input (<c>hook_mlp_in</c>).</summary>
    Mlp,

    /// <summary>The unembedding's input: the final residual stream.</summary>
    Logits,
}

/// <summary>
/// One edge: <see cref="Upstream"/>'s output as read by <see cref="Downstream"/>'s <see cref="Input"/>, with its score.
/// </summary>
/// <param name="Upstream">The writer: input, a head or an MLP.</param>
/// <param name="Downstream">The reader: a head (or key/value head), an MLP or the logits.</param>
/// <param name="Input">Which input of the reader.</param>
/// <param name="Score">The estimated change of the metric when only this edge carries the source run's value.</param>
public sealed record GraphEdge(GraphNode Upstream, GraphNode Downstream, EdgeInput Input, double Score)
{
    /// <summary><c>L0H2->L1H0&lt;k&gt;</c>, the notation of Hanna et al.'s EAP-IG code.</summary>
    public string Name => $"{Upstream.Name}->{Downstream.Name}" + Input switch
    {
        EdgeInput.Query => "<q>",
        EdgeInput.Key => "<k>",
        EdgeInput.Value => "<v>",
        _ => "",
    };

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Score:G4}";
}
