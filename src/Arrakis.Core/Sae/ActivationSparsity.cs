using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// How often each unit of a hook point fires over a dataset (Arrakis's sparsity analyzer; SAELens's
/// <c>feature_sparsity</c>): MLP neurons at <c>blocks.{l}.mlp.hook_post</c>, or an SAE's latents at
/// <c>{hook}.hook_sae_acts_post</c> while it is spliced (<see cref="SaeSplice"/>).
/// </summary>
public static class ActivationSparsity
{
    /// <summary>
    /// The fraction of token positions at which each unit (last dimension of <paramref name="hookName"/>'s activation)
    /// exceeds <paramref name="activeAbove"/>, over <paramref name="tokenBatches"/> (int64 [batch, pos] each).
    /// </summary>
    public static SparsityResult Measure(HookedTransformer model, string hookName, IEnumerable<Tensor> tokenBatches,
        double activeAbove = 0, double denseThreshold = 0.1, int histogramBins = 20)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenBatches);
        model.GetHookPoint(hookName);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(histogramBins, 0);
        Tensor? counts = null;  // [units] float64
        long positions = 0;
        try
        {
            foreach (var tokens in tokenBatches)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                Tensor? fired = null;
                using (model.Hooks([new Hook(hookName, (a, _) =>
                       {
                           fired = (a > activeAbove).to(ScalarType.Float64).reshape(-1, a.shape[^1]).sum(dim: 0).DetachFromDisposeScope();
                           return null;
                       })]))
                    model.Forward(tokens.to(model.Device));
                using (fired)
                {
                    counts ??= zeros_like(fired!).DetachFromDisposeScope();
                    counts.add_(fired!);
                }
                positions += tokens.dim() == 1 ? tokens.shape[0] : tokens.shape[0] * tokens.shape[1];
            }
            if (counts is null || positions == 0)
                throw new ArgumentException("No token batches were given.", nameof(tokenBatches));
            var frequency = (counts / positions).to(ScalarType.Float32).cpu().data<float>().ToArray();
            return new SparsityResult(hookName, positions, frequency, denseThreshold, Log10Histogram(frequency, histogramBins, positions));
        }
        finally
        {
            counts?.Dispose();
        }
    }

    /// <summary>Per-layer sparsity of the MLP neurons (<c>blocks.{l}.mlp.hook_post</c> &gt; 0) over the same batches.</summary>
    public static IReadOnlyList<SparsityResult> MlpNeurons(HookedTransformer model, IReadOnlyList<Tensor> tokenBatches, double denseThreshold = 0.1) =>
        Enumerable.Range(0, model.Cfg.NLayers).Select(l => Measure(model, $"blocks.{l}.mlp.hook_post", tokenBatches, 0, denseThreshold)).ToList();

    /// <summary>
    /// Histogram of log10(frequency) for the units that fired, <paramref name="bins"/> equal bins from log10(1/positions)
    /// (once in the whole dataset) to 0 (always).
    /// </summary>
    private static IReadOnlyList<HistogramBin> Log10Histogram(float[] frequency, int bins, long positions)
    {
        double low = -Math.Log10(positions), width = -low / bins;
        var counts = new int[bins];
        foreach (float f in frequency.Where(f => f > 0))
            counts[Math.Clamp((int)((Math.Log10(f) - low) / width), 0, bins - 1)]++;
        return Enumerable.Range(0, bins).Select(i => new HistogramBin(low + i * width, low + (i + 1) * width, counts[i])).ToList();
    }
}

/// <summary>One histogram bin [Low, High) and how many values fell in it.</summary>
public sealed record HistogramBin(double Low, double High, int Count);
