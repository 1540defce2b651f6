using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// The residual tools (Arrakis <c>ResidualTools</c>, <c>@exp.use_tools("residual")</c>): how the stream moves through the
/// blocks, and which input tokens an output depends on. See docs/tools/residual.md.
/// </summary>
[Tool("residual")]
public interface IResidualTools
{
    /// <summary>
    /// Per block, means over positions of one sequence: ‖resid_pre‖, ‖resid_post‖, their cosine, ‖Δ‖/‖resid_pre‖ and the
    /// shares ⟨c, Δ⟩/‖Δ‖² of the change Δ = resid_post − resid_pre written by the attention and MLP outputs (exact: Δ is
    /// their sum, so the shares add to 1 at every position). Arrakis <c>residual_movement</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Empty or malformed <paramref name="inputIds"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchIndex"/> out of range.</exception>
    ResidualMovementResult ResidualMovement(Tensor inputIds, int batchIndex = 0);

    /// <summary>
    /// Integrated gradients (Sundararajan et al. 2017) of the logit of <paramref name="targetToken"/> at
    /// <paramref name="position"/> with respect to each position's token embedding: IG_p = (e_p − e′_p)·mean over the
    /// midpoints α_k = (k − ½)/m of ∂logit/∂e_p(e′ + α_k(e − e′)). Complete up to the quadrature: Σ_p IG_p ≈ logit(e) −
    /// logit(e′); the result reports the relative error (≤ 1 % at the default 64 steps in the tests). Baseline e′: zero
    /// embeddings, or every token replaced by <paramref name="baselineToken"/>. Arrakis <c>feature_attribution</c>, which
    /// never referred to the target.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A token, position, batch index or step count out of range.</exception>
    FeatureAttributionResult FeatureAttribution(Tensor inputIds, long targetToken, int position = -1, int batchIndex = 0, int steps = 64, long? baselineToken = null);

    /// <summary>
    /// Gradient × input, (∂logit/∂e_p)·(e_p − e′_p) at the input: a first-order approximation of
    /// <see cref="FeatureAttribution"/>, one backward pass, not complete (its completeness error is reported beside it).
    /// </summary>
    FeatureAttributionResult GradientTimesInput(Tensor inputIds, long targetToken, int position = -1, int batchIndex = 0, long? baselineToken = null);
}
