namespace Arrakis.Facts;

/// <summary>Which state of a block causal tracing restores (ROME's <c>kind</c>: <c>None</c>, <c>"mlp"</c>, <c>"attn"</c>).</summary>
public enum TraceState
{
    /// <summary>The residual stream leaving block l, <c>blocks.{l}.hook_resid_post</c> [batch, pos, d_model].</summary>
    Residual,

    /// <summary>The MLP output of block l, <c>blocks.{l}.hook_mlp_out</c> [batch, pos, d_model].</summary>
    Mlp,

    /// <summary>The attention output of block l, <c>blocks.{l}.hook_attn_out</c> [batch, pos, d_model].</summary>
    Attention,
}

/// <summary>Hook names and short names of the <see cref="TraceState"/>s.</summary>
public static class TraceStates
{
    /// <summary>The hook whose value at one position a restoration replaces, e.g. <c>blocks.2.hook_mlp_out</c>.</summary>
    public static string HookName(this TraceState state, int layer) => state switch
    {
        TraceState.Residual => $"blocks.{layer}.hook_resid_post",
        TraceState.Mlp => $"blocks.{layer}.hook_mlp_out",
        TraceState.Attention => $"blocks.{layer}.hook_attn_out",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, $"state is {state}; expected Residual, Mlp or Attention."),
    };

    /// <summary>TransformerLens's short name: <c>resid_post</c>, <c>mlp_out</c>, <c>attn_out</c>.</summary>
    public static string ShortName(this TraceState state) => state switch
    {
        TraceState.Residual => "resid_post",
        TraceState.Mlp => "mlp_out",
        TraceState.Attention => "attn_out",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, $"state is {state}; expected Residual, Mlp or Attention."),
    };
}
