using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>One layer's view of a target token: the logit lens after the layer, and the layer's direct moves.</summary>
/// <param name="Layer">Block index.</param>
/// <param name="LensLogit">The token's logit from resid_post[layer] through ln_final (fresh statistics), W_U and b_U.</param>
/// <param name="LensProbability">Its softmax probability under that lens.</param>
/// <param name="LensRank">How many tokens have a higher lens logit (0 = top).</param>
/// <param name="AttentionMove">Direct logit attribution of the layer's attention output (frozen final norm).</param>
/// <param name="MlpMove">Direct logit attribution of the layer's MLP output (0 for attention-only models).</param>
public sealed record TokenCirculationStep(int Layer, double LensLogit, double LensProbability, long LensRank, double AttentionMove, double MlpMove);

/// <summary>
/// How a target token's logit builds up through the layers (the seed's <c>track_token_circulation</c>): the logit lens of
/// the accumulated residual after each layer, and each layer's direct contributions. Direct moves use the frozen final
/// scale, so Σ over all layers of (AttentionMove + MlpMove) plus the embeddings' and biases' attributions is the final
/// logit minus its bias; lens values are not additive (the lens renormalises each prefix).
/// </summary>
public static class TokenCirculation
{
    /// <summary>Tracks <paramref name="token"/> at <paramref name="position"/> of sequence <paramref name="batchIndex"/> through the first <paramref name="nLayers"/> layers.</summary>
    public static IReadOnlyList<TokenCirculationStep> Track(ActivationCache cache, long token, int nLayers, int position = -1, int batchIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var model = cache.Model;
        if (nLayers < 1)
            throw new ArgumentOutOfRangeException(nameof(nLayers), nLayers, $"expected 1 to {model.Cfg.NLayers} layers.");
        if (token < 0 || token >= model.Cfg.DVocab)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"expected a vocabulary id in [0, {model.Cfg.DVocab}).");
        int layers = Math.Min(nLayers, model.Cfg.NLayers);
        using var scope = NewDisposeScope();
        var steps = new List<TokenCirculationStep>();
        Slice pos = position, batch = batchIndex;
        for (int l = 0; l < layers; l++)
        {
            var resid = batch.Apply(pos.Apply(cache[ActNames.GetActName("resid_post", l)], -2), 0);  // [d_model]
            var lens = model.ln_final.Normalize(resid.unsqueeze(0), runHooks: false).matmul(model.W_U) + model.b_U;  // [1, d_vocab]
            double logit = lens[0, token].item<float>();
            double probability = lens[0].softmax(-1)[token].item<float>();
            long rank = lens[0].gt(lens[0, token]).sum().item<long>();
            var components = stack([cache[ActNames.GetActName("attn_out", l)], model.blocks[l].mlp is null
                ? zeros_like(cache[ActNames.GetActName("attn_out", l)]) : cache[ActNames.GetActName("mlp_out", l)]]);
            var moves = cache.LogitAttrs(pos.Apply(components, -2), token, posSlice: pos)[.., batchIndex];
            steps.Add(new TokenCirculationStep(l, logit, probability, rank, moves[0].item<float>(), moves[1].item<float>()));
        }
        return steps;
    }
}
