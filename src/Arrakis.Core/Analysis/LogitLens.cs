using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// The logit lens (nostalgebraist 2020): read the residual stream x_l entering each block (and the final stream) as if it
/// were the last, logits_l = LN_final(x_l)·W_U + b_U, and compare with the model's output by
/// KL(p_final ‖ p_l) = Σ_v p_final[v]·(ln p_final[v] − ln p_l[v]).
/// </summary>
/// <remarks>
/// By default LN_final recomputes its statistics on x_l (mean and scale of x_l itself), so each lens is a distribution
/// the final norm could produce; the last row (<c>final_post</c>) is then exactly the model's output. With
/// <c>freezeFinalScale</c>, x_l is centred (LayerNorm) and divided by the final stream's own scale σ_final at that
/// position (<c>ln_final.hook_scale</c>), as direct logit attribution does: a linear read-out of x_l that shows how much of
/// the final logit x_l already writes, but whose early layers, much smaller than the final stream, give flat
/// distributions. Arrakis's <c>logit_lens</c> multiplied resid_post by the unembedding with no final norm at all.
/// </remarks>
public static class LogitLens
{
    /// <summary>
    /// Log-probabilities of the lens at every layer for one sequence: labels <c>0_pre</c> … <c>{n−1}_pre</c>,
    /// <c>final_post</c> (TL <c>accumulated_resid</c>), stack [n_layers + 1, pos, d_vocab].
    /// </summary>
    /// <param name="cache">A cache with every <c>resid_pre</c>, the last <c>resid_post</c> and, for <paramref name="freezeFinalScale"/>, <c>ln_final.hook_scale</c>.</param>
    /// <param name="batchIndex">The sequence.</param>
    /// <param name="freezeFinalScale">Divide by the final stream's scale instead of recomputing it (see remarks).</param>
    public static LabeledStack LogProbs(ActivationCache cache, int batchIndex = 0, bool freezeFinalScale = false)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var model = cache.Model;
        using var scope = NewDisposeScope();
        using var resid = cache.AccumulatedResid();                       // [layers, batch, pos, d_model]
        var x = resid.Stack[.., batchIndex];                               // [layers, pos, d_model]
        var frozenScale = freezeFinalScale ? cache["ln_final.hook_scale"][batchIndex] : null;   // [pos, 1]
        var normalized = FinalNorm(model, x, frozenScale);
        var logProbs = Unembed(model, normalized, normalizeFirst: false).log_softmax(-1);
        return new LabeledStack(logProbs.MoveToOuterDisposeScope(), resid.Labels);
    }

    /// <summary>
    /// Logits of residual vectors read as the final stream: LN_final(x)·W_U + b_U with fresh statistics ([..., d_model] →
    /// [..., d_vocab]); with <paramref name="normalizeFirst"/> false, x is taken as already normalised.
    /// </summary>
    public static Tensor Unembed(HookedTransformer model, Tensor x, bool normalizeFirst = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        var normalized = normalizeFirst ? FinalNorm(model, x) : x;
        return normalized.matmul(model.W_U) + model.b_U;
    }

    /// <summary>KL(p_final ‖ p_lens) per row: Σ_v exp(final)·(final − lens) over the last dimension of two log-probability tensors.</summary>
    /// <param name="finalLogProbs">[..., d_vocab], broadcast against <paramref name="lensLogProbs"/>.</param>
    /// <param name="lensLogProbs">[..., d_vocab].</param>
    public static Tensor KlFromFinal(Tensor finalLogProbs, Tensor lensLogProbs)
    {
        ArgumentNullException.ThrowIfNull(finalLogProbs);
        ArgumentNullException.ThrowIfNull(lensLogProbs);
        return (finalLogProbs.exp() * (finalLogProbs - lensLogProbs)).sum(-1);
    }

    /// <summary>
    /// ln_final applied to x [..., d_model] with its weights detached (no gradient reaches the model): centring for
    /// LayerNorm, division by √(mean(x²) + ε) — or by <paramref name="frozenScale"/> when given — then w and b.
    /// </summary>
    public static Tensor FinalNorm(HookedTransformer model, Tensor x, Tensor? frozenScale = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var norm = model.ln_final;
        if (norm.Type == NormalizationType.None)
            return x;
        if (norm.Type is NormalizationType.LayerNorm or NormalizationType.LayerNormPre)
            x = x - x.mean([-1L], keepdim: true);
        var scale = frozenScale ?? (x.pow(2).mean([-1L], keepdim: true) + model.Cfg.Eps).sqrt();
        var normalized = x / scale;
        return norm.Type switch
        {
            NormalizationType.LayerNorm => normalized * norm.w!.detach() + norm.b!.detach(),
            NormalizationType.RMSNorm => normalized * norm.w!.detach(),
            _ => normalized,
        };
    }
}
