namespace Arrakis.Sae;

/// <summary>Reconstruction statistics of an SAE over a set of activations (<see cref="SaeEvaluation.Reconstruction"/>).</summary>
/// <param name="Activations">How many activations were measured.</param>
/// <param name="L0">Mean active latents per activation.</param>
/// <param name="Mse">Σ_d (x − recons)², mean over activations.</param>
/// <param name="ExplainedVariance">1 − Σ(x − recons)² / Σ(x − mean x)².</param>
/// <param name="Frequency">Per latent, the fraction of activations on which it fired (acts &gt; 0) [d_sae].</param>
public sealed record SaeReconstructionStats(long Activations, double L0, double Mse, double ExplainedVariance, IReadOnlyList<float> Frequency)
{
    /// <summary>The fraction of latents that never fired.</summary>
    public double DeadFraction => Frequency.Count(f => f == 0) / (double)Frequency.Count;

    /// <summary>The fraction of latents firing on more than <paramref name="threshold"/> of the activations.</summary>
    public double DenseFraction(double threshold) => Frequency.Count(f => f > threshold) / (double)Frequency.Count;
}
