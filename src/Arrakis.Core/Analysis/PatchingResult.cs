using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// The metric for every patch of one activation kind, as a labelled tensor: <see cref="Values"/> has one dimension per
/// entry of <see cref="Axes"/> (TL <c>get_act_patch_*</c> returns the same tensor without the labels). With explicit
/// <see cref="Indices"/> (TL's <c>index_df</c>) it is flat, one value per index set.
/// </summary>
/// <param name="Activation">TL's short name of the patched activation (<c>resid_pre</c>, <c>z</c>, …).</param>
/// <param name="Axes">The axes of <see cref="Values"/>, in order.</param>
/// <param name="Values">
/// The patched metric (mean over the batch) per patch, float32, on the model's device. For attribution patching, the
/// first-order estimate of it: baseline + Σ (a_source − a_target)·∂metric/∂a over the patched slice.
/// </param>
/// <param name="Indices">The index sets when given explicitly (each one value per axis); <c>null</c> for the full grid.</param>
/// <param name="Direction">Denoising (clean into corrupted) or noising (corrupted into clean).</param>
/// <param name="CleanMetric">The metric of the clean run.</param>
/// <param name="CorruptedMetric">The metric of the corrupted run.</param>
/// <param name="Method"><c>exact</c> (activation patching), <c>AtP</c> or <c>AtP*</c> (attribution patching: approximations).</param>
/// <param name="ForwardPasses">Forward passes run, the two unpatched ones included.</param>
/// <param name="BackwardPasses">Backward passes run (0 for exact patching).</param>
public sealed record PatchingResult(
    string Activation,
    IReadOnlyList<PatchAxis> Axes,
    Tensor Values,
    IReadOnlyList<int[]>? Indices,
    PatchDirection Direction,
    double CleanMetric,
    double CorruptedMetric,
    string Method,
    int ForwardPasses,
    int BackwardPasses) : IDisposable
{
    /// <summary>The metric of the run patched into: corrupted when denoising, clean when noising.</summary>
    public double Baseline => Direction == PatchDirection.Denoising ? CorruptedMetric : CleanMetric;

    /// <summary>Whether the values are exact patching results (false for attribution patching).</summary>
    public bool IsExact => Method == "exact";

    /// <summary>Each patch's effect, <see cref="Values"/> − <see cref="Baseline"/> (a new tensor).</summary>
    public Tensor Effect() => Values - Baseline;

    /// <summary>
    /// Each patch's share of the clean − corrupted difference, (value − corrupted)/(clean − corrupted): 1 = the patch
    /// alone restores (denoising) or keeps (noising) the clean behaviour, 0 = it does nothing (denoising) or breaks it fully
    /// (noising). NaN where clean = corrupted.
    /// </summary>
    public Tensor Normalized() => (Values - CorruptedMetric) / (CleanMetric - CorruptedMetric);

    /// <summary>The values as doubles, row-major.</summary>
    public double[] ToArray()
    {
        using var cpu = Values.detach().cpu().to_type(ScalarType.Float64);
        return cpu.data<double>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => Values.Dispose();
}
