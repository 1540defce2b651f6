using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Attribution patching (Nanda 2023, "Attribution Patching: Activation Patching At Industrial Scale"; AtP in Kramár et al.
/// 2024): a first-order estimate of every activation patch at once, from two forward passes and one backward pass.
/// <b>Approximate</b>: it is exact only where the metric is linear in the patched activation; compare with
/// <see cref="ActivationPatching"/> (the tests measure the error).
/// </summary>
/// <remarks>
/// Denoising: the target run is the corrupted one, the source the clean one; noising: the reverse. With a the target
/// activation, a′ the source activation and g = ∂ mean_b metric / ∂a at the target run, the estimate of patching the
/// slice S (one layer and one index set) is target metric + Σ_{b, (i ∈ S)} (a′ − a)·g. Slices of the full grid are summed
/// from one elementwise product per layer.
/// </remarks>
public static class AttributionPatching
{
    /// <summary>
    /// AtP (or AtP* with <see cref="AttributionOptions.QkFix"/> and <see cref="AttributionOptions.GradDrop"/>) of every patch in the grid of <paramref name="indexAxes"/>,
    /// shaped as <see cref="ActivationPatching.GenericActivationPatch(HookedTransformer, Tensor, Tensor, Func{Tensor, Tensor}, string, IReadOnlyList{PatchAxis}, PatchDirection, PatchingOptions?)"/>'s
    /// result, whose values it estimates. With GradDrop, <see cref="PatchingResult.Effect"/> is an unsigned magnitude.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="cleanTokens">[batch, pos] or [pos].</param>
    /// <param name="corruptedTokens">The same shape.</param>
    /// <param name="metric">logits → [batch]; its batch mean is differentiated.</param>
    /// <param name="activationName">resid_pre, resid_mid, resid_post, attn_out, mlp_out, q, k, v, z, pattern, pre, post, ….</param>
    /// <param name="indexAxes">Layer first, then axes of that activation.</param>
    /// <param name="direction">Denoising (default) or noising.</param>
    /// <param name="options">AtP* corrections; default plain AtP.</param>
    public static PatchingResult Run(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        string activationName, IReadOnlyList<PatchAxis> indexAxes, PatchDirection direction = PatchDirection.Denoising, AttributionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metric);
        PatchingInputs.Direction(direction);
        options ??= AttributionOptions.AtP;
        using var scope = NewDisposeScope();
        var (clean, corrupted) = PatchingInputs.Tokens(model, cleanTokens, corruptedTokens);
        long batch = clean.shape[0], pos = clean.shape[1];
        var site = PatchSite.Resolve(model, activationName, pos, nameof(activationName));
        site.ValidateAxes(indexAxes, nameof(indexAxes));
        bool qkFix = options.QkFix && site.Activation is "q" or "k";
        if (qkFix && !(indexAxes.SequenceEqual([PatchAxis.Layer, PatchAxis.Head]) || indexAxes.SequenceEqual([PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head])))
            throw new ArgumentException($"options.QkFix estimates q and k patches over (layer, head) or (layer, pos, head); indexAxes is [{string.Join(", ", indexAxes.Select(a => a.TlName()))}].", nameof(options));

        var cfg = model.Cfg;
        var layers = Enumerable.Range(0, cfg.NLayers).ToList();
        var names = layers.Select(site.HookName).ToList();
        bool rotary = cfg.PositionalEmbedding == PositionalEmbeddingType.Rotary;
        string qName = rotary ? "rot_q" : "q", kName = rotary ? "rot_k" : "k";
        if (qkFix)
            names = layers.SelectMany(l => new[] { ActNames.GetActName(qName, l), ActNames.GetActName(kName, l), ActNames.GetActName("attn_scores", l), ActNames.GetActName("pattern", l) })
                .ToList();
        var (target, source) = direction == PatchDirection.Denoising ? (corrupted, clean) : (clean, corrupted);

        var (sourceLogits, sourceCache) = model.RunWithCache(source, names);
        using var _ = sourceCache;
        double sourceMetric = PatchingInputs.Mean(metric, sourceLogits, batch);
        Func<Tensor, Tensor> backwardMetric = logits => PatchingInputs.PerRow(metric, logits, batch).mean();

        // One estimate per layer from the target run's activations and gradients: [n_layers, …axes after layer].
        Tensor Estimate(ActivationCache targetCache)
        {
            using var noGrad = no_grad();
            var perLayer = layers.Select(l =>
            {
                using var step = NewDisposeScope();
                var estimate = qkFix
                    ? QkFixed(cfg, site.Activation, l, indexAxes.Count == 3, targetCache, sourceCache, qName, kName)
                    : Linear(site, indexAxes, targetCache[site.HookName(l)], sourceCache[site.HookName(l)], targetCache[site.HookName(l) + "_grad"]);
                return estimate.MoveToOuterDisposeScope();
            }).ToList();
            return stack(perLayer).to(float32);
        }

        var (targetLogits, targetCache) = model.RunWithCache(target, names, includeBackward: true, backwardMetric: backwardMetric);
        double targetMetric;
        Tensor values;
        using (targetCache)
        {
            targetMetric = PatchingInputs.Mean(metric, targetLogits, batch);
            values = Estimate(targetCache);
        }
        int passes = 2;
        if (options.GradDrop)
        {
            // Σ_ℓ |AtP_ℓ| / (L − 1), the gradient through layer ℓ's attention and MLP outputs dropped.
            var magnitude = zeros_like(values);
            foreach (int dropped in layers)
            {
                using var step = NewDisposeScope();
                var drop = new List<Hook> { new($"blocks.{dropped}.hook_attn_out", (g, _) => zeros_like(g)) };
                if (!cfg.AttnOnly)
                    drop.Add(new($"blocks.{dropped}.hook_mlp_out", (g, _) => zeros_like(g)));
                using (model.Hooks(backwardHooks: drop))
                {
                    var (_, droppedCache) = model.RunWithCache(target, names, includeBackward: true, backwardMetric: backwardMetric);
                    using (droppedCache)
                        magnitude.add_(Estimate(droppedCache).abs());
                }
                passes++;
            }
            values = magnitude / Math.Max(1, cfg.NLayers - 1);
        }
        values = (values + targetMetric).MoveToOuterDisposeScope();
        var (cleanMetric, corruptedMetric) = direction == PatchDirection.Denoising ? (sourceMetric, targetMetric) : (targetMetric, sourceMetric);
        string method = (qkFix || options.GradDrop) ? "AtP*" + (options.GradDrop ? "+GradDrop" : "") : "AtP";
        return new PatchingResult(site.Activation, indexAxes.ToList(), values, null, direction, cleanMetric, corruptedMetric,
            method, ForwardPasses: passes, BackwardPasses: passes - 1);
    }

    /// <summary>Σ (a′ − a)·g over the batch and every dimension no axis indexes, in the order of the axes after layer.</summary>
    private static Tensor Linear(PatchSite site, IReadOnlyList<PatchAxis> axes, Tensor target, Tensor source, Tensor gradient)
    {
        var kept = axes.Skip(1).Select(site.Dim).ToArray();
        var summed = Enumerable.Range(0, site.Rank).Where(d => !kept.Contains(d)).Select(d => (long)d).ToArray();
        var product = (source - target) * gradient;
        var reduced = product.sum(summed);  // the kept dimensions, ascending
        var ascending = kept.Order().ToList();
        return kept.Length > 1 ? reduced.permute(kept.Select(d => (long)ascending.IndexOf(d)).ToArray()) : reduced;
    }

    /// <summary>
    /// AtP* for q and k: the pattern recomputed exactly with the source queries or keys, linear after it:
    /// Σ (p′ − p)·∂metric/∂p. Keys by position s change one column of the scores, so
    /// Σ_j p′_j g_j = (p·g − p_s g_s + p_s e^δ g_s) / (1 − p_s + p_s e^δ), δ = s′_s − s_s, for every s at once.
    /// Returns [heads] (all positions) or [pos, heads]; keys summed over their query heads into key/value heads.
    /// </summary>
    private static Tensor QkFixed(HookedTransformerConfig cfg, string activation, int layer, bool byPos, ActivationCache target, ActivationCache source,
        string qName, string kName)
    {
        int heads = cfg.NHeads, group = cfg.NHeads / cfg.EffectiveKeyValueHeads;
        double scale = cfg.EffectiveAttnScale;
        Tensor Expand(Tensor k) => group == 1 ? k : k.repeat_interleave(group, dim: 2);
        var q = target[ActNames.GetActName(qName, layer)];                       // [batch, pos, head, d_head]
        var k = Expand(target[ActNames.GetActName(kName, layer)]);               // [batch, pos, head, d_head]
        var scores = target[ActNames.GetActName("attn_scores", layer)];          // [batch, head, dest, src], masked −∞
        var pattern = target[ActNames.GetActName("pattern", layer)];
        var grad = target[ActNames.GetActName("pattern", layer) + "_grad"];
        var masked = scores.isinf();
        Tensor estimate;  // [head, pos] by position, [head] over all positions
        if (activation == "q")
        {
            var patchedScores = einsum("bqhd,bkhd->bhqk", source[ActNames.GetActName(qName, layer)], k) / scale;
            var patched = patchedScores.masked_fill(masked, double.NegativeInfinity).softmax(-1).nan_to_num(0.0);
            var perQuery = ((patched - pattern) * grad).sum(-1L);  // [batch, head, dest]
            estimate = byPos ? perQuery.sum(0L) : perQuery.sum([0L, 2L]);
        }
        else
        {
            var kSource = Expand(source[ActNames.GetActName(kName, layer)]);
            if (byPos)
            {
                var delta = (einsum("bqhd,bkhd->bhqk", q, kSource) - einsum("bqhd,bkhd->bhqk", q, k)) / scale;  // [batch, head, dest, src]
                var pg = (pattern * grad).sum(-1L, keepdim: true);
                var weighted = pattern * delta.exp();
                var patchedPg = (pg - pattern * grad + weighted * grad) / (1 - pattern + weighted);
                estimate = (patchedPg - pg).sum([0L, 2L]);  // [head, src]
            }
            else
            {
                var patchedScores = einsum("bqhd,bkhd->bhqk", q, kSource) / scale;
                var patched = patchedScores.masked_fill(masked, double.NegativeInfinity).softmax(-1).nan_to_num(0.0);
                estimate = ((patched - pattern) * grad).sum([0L, 2L, 3L]);  // [head]
            }
            // Key/value head g serves query heads g·group … (g+1)·group − 1.
            estimate = estimate.reshape([cfg.EffectiveKeyValueHeads, group, .. estimate.shape[1..]]).sum(1L);
        }
        return byPos ? estimate.transpose(0, 1) : estimate;
    }
}
