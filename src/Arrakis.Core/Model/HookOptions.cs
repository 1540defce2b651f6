namespace Arrakis;

/// <summary>
/// Opt-in hook points whose memory cost is real (TransformerLens <c>use_attn_result</c>, <c>use_split_qkv_input</c>,
/// <c>use_attn_in</c>, <c>use_hook_mlp_in</c>). A hook or cache filter naming a point these options do not produce
/// is an error, never silently skipped.
/// </summary>
public sealed record HookOptions
{
    /// <summary>Adds <c>blocks.{l}.attn.hook_result</c> [batch, pos, head, d_model]: each head's output before summing.</summary>
    public bool UseAttnResult { get; init; }

    /// <summary>Adds <c>blocks.{l}.hook_q_input</c> [batch, pos, head, d_model] and <c>hook_k_input</c>/<c>hook_v_input</c> [batch, pos, kv_head, d_model].</summary>
    public bool UseSplitQkvInput { get; init; }

    /// <summary>Adds <c>blocks.{l}.hook_attn_in</c> [batch, pos, head, d_model]: one copy of the residual per head.</summary>
    public bool UseAttnIn { get; init; }

    /// <summary>Adds <c>blocks.{l}.hook_mlp_in</c> [batch, pos, d_model].</summary>
    public bool UseHookMlpIn { get; init; }
}
