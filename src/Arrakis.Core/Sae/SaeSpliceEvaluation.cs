namespace Arrakis.Sae;

/// <summary>
/// How much of the model's next-token loss an SAE keeps when spliced in without its error term (SAELens
/// <c>ce_loss_score</c>): <c>(CE_zero − CE_spliced) / (CE_zero − CE_clean)</c>, where CE_zero zero-ablates the hook point.
/// </summary>
/// <param name="CleanLoss">The model's mean cross-entropy.</param>
/// <param name="SplicedLoss">With the activation replaced by the SAE's reconstruction.</param>
/// <param name="ZeroAblationLoss">With the activation replaced by zeros.</param>
/// <param name="L0">Mean active latents per token on the same tokens.</param>
/// <param name="ExplainedVariance">Fraction of the activation's variance the reconstruction explains on the same tokens.</param>
public sealed record SaeSpliceEvaluation(double CleanLoss, double SplicedLoss, double ZeroAblationLoss, double L0, double ExplainedVariance)
{
    /// <summary>The fraction of the loss recovered (1: as good as the model; 0: as bad as zero ablation).</summary>
    public double LossRecovered => (ZeroAblationLoss - SplicedLoss) / (ZeroAblationLoss - CleanLoss);

    /// <inheritdoc />
    public override string ToString() =>
        $"CE loss recovered {LossRecovered:P1} (clean {CleanLoss:F4}, spliced {SplicedLoss:F4}, zero-ablated {ZeroAblationLoss:F4}), L0 {L0:F1}, variance explained {ExplainedVariance:P1}";
}
