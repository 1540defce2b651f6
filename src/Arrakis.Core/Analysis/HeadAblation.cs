using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Head ablation: the metric with one head's output z_h (<c>blocks.{l}.attn.hook_z</c>, [batch, pos, head, d_head])
/// replaced — by zero, its mean, or its value on another input (<see cref="AblationKind"/>) — at every position, for each
/// head in turn. Everything downstream is recomputed (a total effect, unlike path patching). Heads run batched: up to
/// <c>maxVariantsPerPass</c> ablated copies of the batch are stacked along the batch dimension of one forward pass.
/// </summary>
/// <remarks>
/// TransformerLens does this with a hook on <c>hook_z</c> per head (its ablation tutorials); Arrakis's
/// <c>ablate_head(layer_idx, head_idx)</c> returned the projection weights with a column zeroed and ran nothing.
/// Under grouped-query attention z has one slice per query head, so ablating a query head leaves the others that share
/// its key/value head untouched.
/// </remarks>
public static class HeadAblation
{
    /// <summary>
    /// The metric with each of <paramref name="heads"/> ablated on its own.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="tokens">Token ids [batch, pos] or [pos].</param>
    /// <param name="heads">The heads to ablate one at a time; <c>null</c> for every head in (layer, head) order.</param>
    /// <param name="kind">What replaces the head's output.</param>
    /// <param name="metric">(logits [batch, pos, d_vocab], tokens [batch, pos]) → [batch], averaged over the batch; default <see cref="PathPatching.NextTokenLogProb"/>.</param>
    /// <param name="resampleTokens">For <see cref="AblationKind.Resample"/>: the input whose z replaces the clean one (same shape);
    /// <c>null</c> takes sequence (b + 1) mod batch of <paramref name="tokens"/>.</param>
    /// <param name="maxVariantsPerPass">How many ablated copies of the batch share one forward pass (≥ 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A head out of range, or <paramref name="maxVariantsPerPass"/> &lt; 1.</exception>
    /// <exception cref="ArgumentException">Resampling within a batch of one sequence, a resample input of another shape, or a head named twice.</exception>
    public static IReadOnlyList<HeadAblationScore> Run(HookedTransformer model, Tensor tokens, IReadOnlyList<HeadIndex>? heads = null,
        AblationKind kind = AblationKind.Zero, Func<Tensor, Tensor, Tensor>? metric = null, Tensor? resampleTokens = null, int maxVariantsPerPass = 16)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        var cfg = model.Cfg;
        heads ??= Enumerable.Range(0, cfg.NLayers).SelectMany(l => Enumerable.Range(0, cfg.NHeads).Select(h => new HeadIndex(l, h))).ToList();
        foreach (var head in heads)
            head.Validate(cfg, nameof(heads));
        if (heads.Distinct().Count() != heads.Count)
            throw new ArgumentException($"heads [{string.Join(", ", heads)}] names a head twice; expected distinct heads.", nameof(heads));
        if (maxVariantsPerPass < 1)
            throw new ArgumentOutOfRangeException(nameof(maxVariantsPerPass), maxVariantsPerPass, $"maxVariantsPerPass is {maxVariantsPerPass}; expected at least 1.");
        if (!Enum.IsDefined(kind))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, $"kind is {kind}; expected Zero, Mean or Resample.");
        metric ??= PathPatching.NextTokenLogProb;
        var ids = (tokens.dim() == 1 ? tokens.unsqueeze(0) : tokens).to(model.Device);
        long batch = ids.shape[0];
        if (kind == AblationKind.Resample && resampleTokens is null && batch < 2)
            throw new ArgumentException("tokens holds one sequence; resampling within the batch takes each sequence's z from the next one, so it needs at least 2 (or pass resampleTokens).", nameof(tokens));
        if (resampleTokens is not null && kind == AblationKind.Resample)
        {
            var shape = (resampleTokens.dim() == 1 ? resampleTokens.unsqueeze(0) : resampleTokens).shape;
            if (!shape.SequenceEqual(ids.shape))
                throw new ArgumentException($"resampleTokens has shape [{string.Join(", ", resampleTokens.shape)}]; expected the shape of tokens, [{string.Join(", ", ids.shape)}].", nameof(resampleTokens));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var layers = heads.Select(h => h.Layer).Distinct().ToList();
        var zNames = layers.ToDictionary(l => l, l => $"blocks.{l}.attn.hook_z");
        var (cleanLogits, cleanCache) = model.RunWithCache(ids, zNames.Values);
        double clean;
        var replacement = new Dictionary<int, Tensor>();   // layer → [batch, pos, head, d_head]
        using (cleanCache)
        {
            clean = metric(cleanLogits, ids).mean().item<float>();
            if (kind == AblationKind.Resample && resampleTokens is not null)
            {
                var source = (resampleTokens.dim() == 1 ? resampleTokens.unsqueeze(0) : resampleTokens).to(model.Device);
                var (_, resampled) = model.RunWithCache(source, zNames.Values);
                using (resampled)
                    foreach (int l in layers) replacement[l] = resampled[zNames[l]].clone();
            }
            else
            {
                foreach (int l in layers)
                {
                    var z = cleanCache[zNames[l]];
                    replacement[l] = kind switch
                    {
                        AblationKind.Zero => zeros_like(z),
                        AblationKind.Mean => z.mean([0L, 1L], keepdim: true).expand_as(z).clone(),
                        _ => z.roll(-1, 0).clone(),   // sequence b takes sequence (b + 1) mod batch
                    };
                }
            }
        }

        var results = new List<HeadAblationScore>(heads.Count);
        foreach (var chunk in heads.Chunk(maxVariantsPerPass))
        {
            using var chunkScope = NewDisposeScope();
            var hooks = chunk.Select((head, v) => (head, v)).GroupBy(x => x.head.Layer).Select(group => new Hook(zNames[group.Key], (z, _) =>
            {
                var ablated = z.clone();
                foreach (var (head, v) in group)
                {
                    long row = v * batch;
                    ablated[TensorIndex.Slice(row, row + batch), .., head.Head] = replacement[head.Layer][.., .., head.Head];
                }
                return ablated;
            })).ToList();
            var repeated = ids.repeat(chunk.Length, 1);
            var perRow = metric(model.RunWithHooks(repeated, hooks), repeated);   // [variants · batch]
            for (int v = 0; v < chunk.Length; v++)
                results.Add(new HeadAblationScore(chunk[v], clean, perRow[TensorIndex.Slice(v * batch, (v + 1) * batch)].mean().item<float>()));
        }
        return results;
    }
}
