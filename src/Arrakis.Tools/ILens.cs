using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// The lenses (Arrakis <c>LogitLens</c>, <c>@exp.use_tools("lens")</c>): what the residual stream at each layer would
/// predict if it were the last — the logit lens, and the tuned lens (Belrose et al. 2023), whose per-layer affine
/// translators are trained to match the final output. See docs/tools/lens.md.
/// </summary>
/// <remarks>
/// The registry holds an unbound prototype; get the tool from a bench (<c>bench.Tools</c>, <c>[UseTools]</c>), which binds
/// it to the bench's model through <see cref="IModelTool"/>.
/// </remarks>
[Tool("lens")]
public interface ILens
{
    /// <summary>
    /// The logit lens of one sequence (Arrakis <c>logit_lens</c>, which skipped the final norm): for each stream x_l entering
    /// block l (labels <c>0_pre</c> … and <c>final_post</c>, TL <c>accumulated_resid</c>) and each position, the
    /// distribution p_l = softmax(LN_final(x_l)·W_U + b_U) with LN_final's statistics recomputed on x_l — its top-k tokens,
    /// the rank and probability of the target token, and KL(p_final ‖ p_l) = Σ p_final (ln p_final − ln p_l). The
    /// <c>final_post</c> row is the model's own output (KL 0). With <paramref name="freezeFinalScale"/>, x_l is divided by
    /// the final stream's scale σ_final at that position instead (the linear read-out direct logit attribution uses).
    /// </summary>
    /// <param name="inputIds">Token ids [batch, pos] or [pos].</param>
    /// <param name="targetToken">The token followed; <c>null</c>: at each position, the model's final top token.</param>
    /// <param name="topK">How many top tokens per cell, at least 1.</param>
    /// <param name="batchIndex">Which sequence, in [0, batch).</param>
    /// <param name="freezeFinalScale">Divide by the final stream's norm scale instead of recomputing it.</param>
    /// <exception cref="ArgumentException">Empty or malformed <paramref name="inputIds"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target outside the vocabulary, <paramref name="topK"/> &lt; 1, or a batch index out of range.</exception>
    LensResult LogitLens(Tensor inputIds, long? targetToken = null, int topK = 5, int batchIndex = 0, bool freezeFinalScale = false);

    /// <summary>
    /// Trains a tuned lens on <paramref name="tokens"/> [sequences, pos]: translators T_l(x) = x + x·W_l + b_l, zero at the
    /// start (the logit lens), minimising Σ_l mean KL(p_final ‖ softmax(LN_final(T_l(x_l))·W_U + b_U)) with Adam, model
    /// frozen; one progress report per step. Save it with <see cref="Arrakis.TunedLens.Save"/> (safetensors) and load
    /// it with <see cref="Arrakis.TunedLens.Load"/>. The caller owns (disposes) the lens.
    /// </summary>
    /// <exception cref="ArgumentException">Malformed tokens.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Non-positive options.</exception>
    TunedLens TrainTunedLens(Tensor tokens, TunedLensOptions? options = null, IProgress<TunedLensProgress>? progress = null);

    /// <summary>The grid of <see cref="LogitLens"/> read through a tuned lens: p_l = softmax(LN_final(T_l(x_l))·W_U + b_U).</summary>
    /// <exception cref="ArgumentException">A lens trained for a model of another depth.</exception>
    LensResult ApplyTunedLens(Tensor inputIds, TunedLens tunedLens, long? targetToken = null, int topK = 5, int batchIndex = 0);

    /// <summary>
    /// KL(p_final ‖ p_l) per layer, averaged over every sequence and position of <paramref name="inputIds"/>, for the
    /// logit lens and for <paramref name="tunedLens"/> side by side (Belrose et al.'s figure: the tuned lens should be closer
    /// to the output at every layer but the last, where both are 0).
    /// </summary>
    LensComparisonResult CompareLenses(Tensor inputIds, TunedLens tunedLens);
}
