namespace Arrakis;

/// <summary>
/// Expands TransformerLens shorthand into full hook names (TL <c>utils.get_act_name</c>):
/// <c>("resid_pre", 3)</c> → <c>blocks.3.hook_resid_pre</c>, <c>("pattern", 1)</c> → <c>blocks.1.attn.hook_pattern</c>,
/// <c>("scale", 2, "ln2")</c> → <c>blocks.2.ln2.hook_scale</c>, <c>("scale")</c> → <c>ln_final.hook_scale</c>.
/// </summary>
public static class ActNames
{
    private static readonly HashSet<string> BlockLevel = ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out", "mlp_in", "attn_in", "q_input", "k_input", "v_input"];
    private static readonly HashSet<string> AttentionLevel = ["q", "k", "v", "z", "pattern", "attn_scores", "result", "rot_q", "rot_k"];
    private static readonly HashSet<string> MlpLevel = ["pre", "post", "mid", "pre_linear"];
    private static readonly Dictionary<string, string> Aliases = new()
    {
        ["attn"] = "pattern", ["scores"] = "attn_scores", ["a"] = "pattern", ["attn_output"] = "attn_out", ["mlp_output"] = "mlp_out",
        ["mlp_pre"] = "pre", ["mlp_post"] = "post", ["mlp_mid"] = "mid",
    };

    /// <summary>The full hook name for a shorthand, a layer (already non-negative) and an optional sub-layer (<c>ln1</c>, <c>ln2</c>, <c>attn</c>, <c>mlp</c>).</summary>
    /// <exception cref="ArgumentException">The shorthand is not known, or needs a layer that was not given.</exception>
    public static string GetActName(string name, int? layer = null, string? layerType = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.') || name.StartsWith("hook_", StringComparison.Ordinal))
            return name;
        string key = Aliases.TryGetValue(name, out var alias) ? alias : name;
        if (key is "embed" or "pos_embed")
            return $"hook_{key}";
        if (key is "scale" or "normalized")
        {
            if (layer is null)
                return $"ln_final.hook_{key}";
            string ln = layerType switch { null or "ln1" or "attn" or "a" => "ln1", "ln2" or "mlp" or "m" => "ln2", _ => throw new ArgumentException($"layerType '{layerType}' is not ln1, ln2, attn or mlp.", nameof(layerType)) };
            return $"blocks.{layer}.{ln}.hook_{key}";
        }
        if (layer is null)
            throw new ArgumentException($"'{name}' is a per-layer activation: give a layer.", nameof(layer));
        if (BlockLevel.Contains(key))
            return $"blocks.{layer}.hook_{key}";
        if (AttentionLevel.Contains(key))
            return $"blocks.{layer}.attn.hook_{key}";
        if (MlpLevel.Contains(key))
            return $"blocks.{layer}.mlp.hook_{key}";
        throw new ArgumentException($"'{name}' is not a known activation shorthand; expected a full hook name or one of: " +
            string.Join(", ", BlockLevel.Concat(AttentionLevel).Concat(MlpLevel).Concat(["embed", "pos_embed", "scale", "normalized"])) + ".", nameof(name));
    }
}
