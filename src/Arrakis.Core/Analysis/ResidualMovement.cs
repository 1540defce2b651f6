using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>One block's effect on the residual stream, means over positions (<see cref="ResidualMovement"/>).</summary>
/// <param name="Layer">The block.</param>
/// <param name="NormBefore">‖x_l‖, the stream entering the block (resid_pre).</param>
/// <param name="NormAfter">‖x_{l+1}‖, the stream leaving it (resid_post).</param>
/// <param name="Cosine">cos(x_l, x_{l+1}).</param>
/// <param name="RelativeChange">‖x_{l+1} − x_l‖ / ‖x_l‖.</param>
/// <param name="AttentionShare">⟨attn_out, Δ⟩ / ‖Δ‖², Δ = x_{l+1} − x_l: the attention output's share of the change.</param>
/// <param name="MlpShare">⟨mlp_out, Δ⟩ / ‖Δ‖² (0 without an MLP); AttentionShare + MlpShare = 1 at every position.</param>
public sealed record ResidualMovementStep(int Layer, double NormBefore, double NormAfter, double Cosine, double RelativeChange, double AttentionShare, double MlpShare);

/// <summary>
/// How the residual stream moves through the blocks of one sequence: per block, the norm of the stream before and after,
/// the cosine between them, and the share of the change Δ = resid_post − resid_pre written by the attention and MLP
/// outputs, share_c = ⟨c, Δ⟩/‖Δ‖² — exact, since Δ = attn_out + mlp_out, so the shares sum to 1 at every position (the
/// projection of Δ onto itself split by component). Every quantity is computed per position and then averaged.
/// </summary>
/// <remarks>Arrakis's <c>residual_movement(input_ids, l1, l2)</c> returned ‖x₂ − x₁‖/‖x₁‖ between two hook points; that is
/// <see cref="ResidualMovementStep.RelativeChange"/> per block.</remarks>
public static class ResidualMovement
{
    /// <summary>Every block's step for sequence <paramref name="batchIndex"/> of <paramref name="cache"/> (resid_pre, resid_post, attn_out, mlp_out).</summary>
    public static IReadOnlyList<ResidualMovementStep> Measure(ActivationCache cache, int batchIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var model = cache.Model;
        var steps = new List<ResidualMovementStep>();
        for (int l = 0; l < model.Cfg.NLayers; l++)
        {
            using var scope = NewDisposeScope();
            var before = cache[ActNames.GetActName("resid_pre", l)][batchIndex].to(float64);    // [pos, d_model]
            var after = cache[ActNames.GetActName("resid_post", l)][batchIndex].to(float64);
            var attn = cache[ActNames.GetActName("attn_out", l)][batchIndex].to(float64);
            var mlp = model.blocks[l].mlp is null ? zeros_like(attn) : cache[ActNames.GetActName("mlp_out", l)][batchIndex].to(float64);
            var delta = after - before;
            var deltaSquared = delta.pow(2).sum(-1);                                             // [pos]
            double Mean(Tensor t) => t.mean().item<double>();
            steps.Add(new ResidualMovementStep(l,
                Mean(before.norm(1, keepdim: false)), Mean(after.norm(1, keepdim: false)),
                Mean(nn.functional.cosine_similarity(before, after, dim: -1)),
                Mean(delta.norm(1, keepdim: false) / before.norm(1, keepdim: false)),
                Mean((attn * delta).sum(-1) / deltaSquared), Mean((mlp * delta).sum(-1) / deltaSquared)));
        }
        return steps;
    }
}
