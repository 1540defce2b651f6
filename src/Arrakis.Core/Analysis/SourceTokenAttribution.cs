using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Direct logit attribution of every attention head split by the source position it read from.
/// </summary>
/// <remarks>
/// Head h at query position q writes result_h[q] = Σ_s pattern_h[q, s] · (v_h[s]·W_O[h]) (v includes b_V). Its direct logit
/// attribution through the frozen final norm is linear in result_h, so it splits exactly into per-source terms
/// attr[h, s] = pattern_h[q, s] · ((v_h[s]·W_O[h] − mean)·d) / scale[q], with d = W_U[:, t] ⊙ ln_final.w and the centring only
/// for LayerNorm. Σ_s attr[h, s] is the head's attribution in <see cref="ActivationCache.LogitAttrs(Tensor, long, long?, Slice?, Slice?, bool)"/>.
/// </remarks>
/// <param name="PerHeadPerSource">[n_layers, n_heads, source_pos].</param>
/// <param name="PerHead">[n_layers, n_heads]: Σ over sources.</param>
/// <param name="PerSource">[source_pos]: Σ over heads.</param>
public sealed record SourceTokenAttribution(Tensor PerHeadPerSource, Tensor PerHead, Tensor PerSource) : IDisposable
{
    /// <summary>Splits each head's direct attribution to <paramref name="token"/>'s logit at <paramref name="position"/> by source position.</summary>
    /// <param name="cache">A cache with <c>hook_v</c>, <c>hook_pattern</c> of every layer and <c>ln_final.hook_scale</c> (if the model normalises).</param>
    /// <param name="token">The vocabulary id whose logit is explained.</param>
    /// <param name="position">The query position (negative counts from the end).</param>
    /// <param name="batchIndex">Which sequence of the batch.</param>
    public static SourceTokenAttribution Compute(ActivationCache cache, long token, int position = -1, int batchIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var model = cache.Model;
        var cfg = model.Cfg;
        if (!cache.HasBatchDim)
            throw new InvalidOperationException("SourceTokenAttribution needs a cache with its batch dimension.");
        using var scope = NewDisposeScope();
        var direction = model.TokensToResidualDirections(tensor(token, device: model.Device));  // [d_model]
        long positions = cache["hook_embed"].shape[1];
        long q = position < 0 ? position + positions : position;
        if (q < 0 || q >= positions)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"expected a position in [{-positions}, {positions}).");
        Tensor scale = cfg.Normalization == NormalizationType.None ? ones(1, dtype: cfg.Dtype, device: cache["hook_embed"].device) : cache["ln_final.hook_scale"][batchIndex, q];  // [1]
        int groups = cfg.NHeads / cfg.EffectiveKeyValueHeads;
        var layers = new List<Tensor>();
        for (int l = 0; l < cfg.NLayers; l++)
        {
            var v = cache[ActNames.GetActName("v", l)][batchIndex];                     // [src, kv_head, d_head]
            if (groups > 1)
                v = v.repeat_interleave(groups, dim: 1);                                   // [src, head, d_head]
            var wO = model.blocks[l].attn.W_O.detach();                                   // [head, d_head, d_model]
            var linear = wO.matmul(direction);                                            // [head, d_head]
            if (cfg.NormCenters)
                linear = linear - wO.mean([-1L]) * direction.sum();
            var perSourceValue = (v * linear).sum(-1);                                    // [src, head]
            var pattern = cache[ActNames.GetActName("pattern", l)][batchIndex, .., q];   // [head, src]
            layers.Add(pattern * perSourceValue.t() / scale);
        }
        var perHeadPerSource = stack(layers.ToArray());                                  // [layer, head, src]
        return new SourceTokenAttribution(perHeadPerSource.MoveToOuterDisposeScope(), perHeadPerSource.sum(-1).MoveToOuterDisposeScope(),
            perHeadPerSource.sum([0L, 1L]).MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        PerHeadPerSource.Dispose();
        PerHead.Dispose();
        PerSource.Dispose();
    }
}
