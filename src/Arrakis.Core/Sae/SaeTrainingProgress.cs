using System.Globalization;

namespace Arrakis.Sae;

/// <summary>One step's report from <see cref="SaeTrainer"/>, sent after every step.</summary>
/// <param name="Step">Completed steps.</param>
/// <param name="TotalSteps">Steps in the run.</param>
/// <param name="Loss">This step's loss (MSE + L1 term).</param>
/// <param name="Mse">Σ_d (x − recons)², mean over the batch.</param>
/// <param name="L0">Mean number of active latents per activation.</param>
/// <param name="ExplainedVariance">1 − Σ(x − recons)² / Σ(x − mean x)² over the batch.</param>
/// <param name="DeadFraction">Latents that have not fired for <see cref="SaeTrainingOptions.DeadWindowSteps"/> steps (or since the start).</param>
/// <param name="LearningRate">This step's learning rate.</param>
/// <param name="ActivationsPerSecond">Throughput so far (activations, i.e. tokens, per second).</param>
/// <param name="Elapsed">Time since training began.</param>
/// <param name="Remaining">Estimated time to the last step.</param>
public sealed record SaeTrainingProgress(int Step, int TotalSteps, double Loss, double Mse, double L0, double ExplainedVariance,
    double DeadFraction, double LearningRate, double ActivationsPerSecond, TimeSpan Elapsed, TimeSpan Remaining)
{
    /// <summary>The live progress line: step, loss, L0, explained variance, dead fraction, tokens/s, ETA.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"step {Step}/{TotalSteps}  loss {Loss:F4}  L0 {L0:F1}  expl.var {ExplainedVariance:P1}  dead {DeadFraction:P1}  {ActivationsPerSecond:N0} tok/s  ETA {Remaining:hh\\:mm\\:ss}");
}
