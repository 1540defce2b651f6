namespace Arrakis;

/// <summary>The AtP* corrections of Kramár et al. 2024 ("AtP*: An efficient and scalable method for localizing LLM behaviour to components").</summary>
public sealed record AttributionOptions
{
    /// <summary>Plain AtP: one linear estimate for every node.</summary>
    public static AttributionOptions AtP { get; } = new();

    /// <summary>
    /// The QK fix: for query and key nodes (<c>q</c>, <c>k</c>), recompute the attention softmax exactly with the patched
    /// queries or keys and linearise only from the pattern onward: estimate = Σ (softmax(s′) − softmax(s))·∂metric/∂pattern.
    /// Plain AtP linearises through the softmax and misses the effect of a saturated one. Cost: no extra forward or
    /// backward pass; for keys by position, O(batch·heads·pos²) extra elementwise work. Other activations are unaffected.
    /// </summary>
    public bool QkFix { get; init; }

    /// <summary>
    /// GradDrop, against cancellation between a node's paths: for each layer ℓ, the estimate AtP_ℓ with the gradient
    /// through layer ℓ's residual contribution (its attn_out and mlp_out) set to zero; the score is
    /// 1/(L − 1) · Σ_ℓ |AtP_ℓ(n)| — an <b>unsigned</b> magnitude (a node's own layer contributes 0, so a node that no
    /// later path cancels scores |AtP(n)|). Cost: L more forward and backward passes.
    /// </summary>
    public bool GradDrop { get; init; }
}
