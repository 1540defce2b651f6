using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>Measures an SAE: reconstruction statistics over activations, and the loss it keeps when spliced into its model.</summary>
public static class SaeEvaluation
{
    /// <summary>
    /// Splices <paramref name="sae"/> into <paramref name="model"/> at <paramref name="hookName"/> (default: its
    /// <c>hook_name</c>) and compares next-token losses on <paramref name="tokens"/> [batch, pos]: clean, spliced (no error
    /// term) and zero-ablated; L0 and explained variance are read at the SAE's own hook points in the spliced pass.
    /// </summary>
    public static SaeSpliceEvaluation Splice(HookedTransformer model, SparseAutoencoder sae, Tensor tokens, string? hookName = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(tokens);
        using var noGrad = no_grad();
        double clean, spliced, zero;
        double l0 = 0, residual = 0, total = 0;
        using (var scope = NewDisposeScope())
            clean = model.Loss(tokens).to(ScalarType.Float32).ToSingle();
        using (var splice = SaeSplice.Attach(model, sae, hookName))
        using (var scope = NewDisposeScope())
        {
            Tensor? input = null;  // [batch, pos, d_in], valid until the pass ends
            var read = new Hook[]
            {
                new(splice.SaeHookName("hook_sae_input"), (x, _) =>
                {
                    input = x;
                    var rows = x.to(ScalarType.Float64).reshape(-1, x.shape[^1]);
                    total = (rows - rows.mean([0], keepdim: true)).pow(2).sum().ToDouble();
                    return null;
                }),
                new(splice.SaeHookName("hook_sae_acts_post"), (acts, _) =>
                {
                    l0 = (acts > 0).to(ScalarType.Float64).sum(-1).mean().ToDouble();
                    return null;
                }),
                new(splice.SaeHookName("hook_sae_recons"), (recons, _) =>
                {
                    residual = (input! - recons).to(ScalarType.Float64).pow(2).sum().ToDouble();
                    return null;
                }),
            };
            using (model.Hooks(read))
                spliced = model.Loss(tokens).to(ScalarType.Float32).ToSingle();
        }
        string name = hookName ?? sae.Cfg.HookName!;
        using (var scope = NewDisposeScope())
        using (model.Hooks([new Hook(name, (a, _) => zeros_like(a))]))
            zero = model.Loss(tokens).to(ScalarType.Float32).ToSingle();
        return new SaeSpliceEvaluation(clean, spliced, zero, l0, total > 0 ? 1 - residual / total : double.NaN);
    }

    /// <summary>
    /// L0, MSE, explained variance and per-latent firing frequency of <paramref name="sae"/> over
    /// <paramref name="batches"/> activation batches [batch, d_in].
    /// </summary>
    public static SaeReconstructionStats Reconstruction(SparseAutoencoder sae, IEnumerable<Tensor> batches)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(batches);
        using var noGrad = no_grad();
        using var fired = zeros(sae.Cfg.DSae, dtype: ScalarType.Float64, device: sae.Device);
        double l0Sum = 0, squared = 0, sum2 = 0;
        long rows = 0;
        using var sumTensor = zeros(sae.Cfg.DIn, dtype: ScalarType.Float64, device: sae.Device);
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            var x = batch.to(sae.Cfg.Dtype, sae.Device);
            var acts = sae.Encode(x);
            var recons = sae.Decode(acts);
            var active = (acts > 0).to(ScalarType.Float64);
            fired.add_(active.sum(dim: 0));
            l0Sum += active.sum().ToDouble();
            squared += (x - recons).to(ScalarType.Float64).pow(2).sum().ToDouble();
            sum2 += x.to(ScalarType.Float64).pow(2).sum().ToDouble();
            sumTensor.add_(x.to(ScalarType.Float64).sum(dim: 0));
            rows += x.shape[0];
        }
        if (rows == 0)
            throw new ArgumentException("No activations were given.", nameof(batches));
        // Σ(x − mean)² = Σx² − rows·‖mean‖²
        double meanNorm2 = (sumTensor / rows).pow(2).sum().ToDouble();
        double variance = sum2 - rows * meanNorm2;
        var frequency = (fired / rows).to(ScalarType.Float32).cpu().data<float>().ToArray();
        return new SaeReconstructionStats(rows, l0Sum / rows, squared / rows, variance > 0 ? 1 - squared / variance : double.NaN, frequency);
    }
}
