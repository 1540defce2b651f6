using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

public partial class HookedTransformer
{
    /// <summary>
    /// The sum of every bias written to the residual stream before block <paramref name="layer"/>'s attention (or, with
    /// <paramref name="mlpInput"/>, its MLP) [d_model] (TL <c>accumulated_bias</c>): Σ_{l&lt;layer} (b_O[l] + b_out[l]),
    /// plus b_O[layer] for the MLP input of a sequential block. <paramref name="includeMlpBiases"/> false leaves out b_out.
    /// </summary>
    public Tensor AccumulatedBias(int layer, bool mlpInput = false, bool includeMlpBiases = true)
    {
        if (layer < 0 || layer > Cfg.NLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"expected a layer in [0, {Cfg.NLayers}].");
        using var scope = NewDisposeScope();
        var bias = zeros(Cfg.DModel, dtype: Cfg.Dtype, device: Device);
        for (int l = 0; l < layer; l++)
        {
            bias = bias + blocks[l].attn.b_O.detach();
            if (includeMlpBiases && blocks[l].mlp is { } mlp)
                bias = bias + mlp.b_out.detach();
        }
        if (mlpInput && layer < Cfg.NLayers && !Cfg.ParallelAttnMlp && blocks[layer].mlp is not null)
            bias = bias + blocks[layer].attn.b_O.detach();
        return bias.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The residual-stream direction whose dot product with the frozen-normalised final residual gives a token's logit
    /// minus its bias (TL <c>tokens_to_residual_directions</c>, extended to unfolded norms): W_U[:, t] ⊙ ln_final.w
    /// (just W_U[:, t] after <c>fold_ln</c>). tokens: int64 [], [batch] or [batch, pos] → [..., d_model].
    /// </summary>
    public Tensor TokensToResidualDirections(Tensor tokens)
    {
        var ids = tokens.to(int64, Device);
        if (ids.numel() > 0 && (ids.min().item<long>() < 0 || ids.max().item<long>() >= Cfg.DVocab))
            throw new ArgumentOutOfRangeException(nameof(tokens), $"token ids must lie in [0, {Cfg.DVocab}) (d_vocab).");
        using var scope = NewDisposeScope();
        var directions = unembed.W_U.detach().t().index_select(0, ids.reshape(-1));  // [n, d_model]
        if (ln_final.w is { } w)
            directions = directions * w.detach();
        var shape = ids.shape.Append(Cfg.DModel).ToArray();
        return directions.reshape(shape).MoveToOuterDisposeScope();
    }

    /// <summary>The bias a token's logit carries beyond the direct logit attributions: b_U[t] + ln_final.b · W_U[:, t] (b_U[t] after fold_ln).</summary>
    public Tensor EffectiveUnembedBias
    {
        get
        {
            var bias = unembed.b_U.detach();
            return ln_final.b is { } b ? bias + b.detach().matmul(unembed.W_U.detach()) : bias.clone();
        }
    }
}
