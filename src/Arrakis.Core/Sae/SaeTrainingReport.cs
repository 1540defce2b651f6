namespace Arrakis.Sae;

/// <summary>
/// The final report of a training run, measured on held-out activations from the same source (the SAE in eval form:
/// BatchTopK already converted to JumpReLU).
/// </summary>
/// <param name="Steps">Steps trained.</param>
/// <param name="L0">Mean active latents per activation.</param>
/// <param name="Mse">Σ_d (x − recons)², mean over activations.</param>
/// <param name="ExplainedVariance">Fraction of variance explained, 1 − Σ(x − recons)² / Σ(x − mean x)².</param>
/// <param name="DeadFraction">Latents that never fired on the held-out activations.</param>
/// <param name="DenseFraction">Latents firing on more than <see cref="SaeTrainingOptions.DenseThreshold"/> of them.</param>
/// <param name="ResampledLatents">Latents resampled over the run.</param>
/// <param name="Elapsed">Training time.</param>
/// <param name="Splice">Cross-entropy loss recovered when spliced into the model, when a model and tokens were given.</param>
public sealed record SaeTrainingReport(int Steps, double L0, double Mse, double ExplainedVariance, double DeadFraction,
    double DenseFraction, int ResampledLatents, TimeSpan Elapsed, SaeSpliceEvaluation? Splice)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Steps} steps in {Elapsed.TotalSeconds:F1} s: L0 {L0:F1}, MSE {Mse:G4}, variance explained {ExplainedVariance:P1}, " +
        $"dead {DeadFraction:P1}, dense {DenseFraction:P1}, resampled {ResampledLatents}" + (Splice is { } s ? $"; {s}" : "");
}
