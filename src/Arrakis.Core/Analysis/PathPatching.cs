using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Path patching (Wang et al., Interpretability in the Wild; Goldowsky-Dill et al.): how much of an effect travels from a
/// sender head to a receiver head along the direct path through the receiver's query, key and/or value input, with every
/// other path frozen at its clean value; or from a sender into a set of receivers at once (Wang et al. patch the
/// path into a whole class of heads, e.g. every name mover), for circuits in which several heads share one job.
/// </summary>
/// <remarks>
/// With all other components frozen, corrupting the sender changes the residual stream the receiver reads by exactly
/// Δ = (z′ − z)·W_O[sender] (z′ the corrupted, z the clean sender output per position). The patched run is therefore the
/// clean run with Δ added to the receiver's chosen inputs only (via the split q/k/v input hook points, before the
/// receiver's layer norm, which is recomputed); effects downstream of the receiver flow freely to the output. Without an
/// explicit corrupted input, z′ is the sender's mean output over the batch and positions (mean ablation). Many pairs run
/// batched: each forward pass carries several patched variants stacked along the batch dimension.
/// </remarks>
public static class PathPatching
{
    /// <summary>
    /// The default metric: each sequence's mean log-probability of its own next tokens, [batch] (higher is better; the
    /// negative of the per-sequence loss).
    /// </summary>
    public static Tensor NextTokenLogProb(Tensor logits, Tensor tokens) =>
        logits[.., ..^1].log_softmax(-1).gather(-1, tokens[.., 1..].unsqueeze(-1)).squeeze(-1).mean([1L]);

    /// <summary>One sender → receiver path. See <see cref="Run(HookedTransformer, Tensor, IReadOnlyList{ValueTuple{HeadIndex, HeadIndex}}, PathInput, Tensor?, Func{Tensor, Tensor, Tensor}?, int)"/>.</summary>
    public static PathPatchingResult Run(HookedTransformer model, Tensor clean, HeadIndex sender, HeadIndex receiver, PathInput through = PathInput.All,
        Tensor? corrupted = null, Func<Tensor, Tensor, Tensor>? metric = null) =>
        Run(model, clean, [(sender, receiver)], through, corrupted, metric)[0];

    /// <summary>
    /// One sender → a set of receivers, patched together in one run: Δ is added to the chosen inputs of every receiver at
    /// once. The fraction is the share of the sender's total effect that travels through those receivers' inputs.
    /// </summary>
    /// <param name="model">The model; its hook options are restored afterwards.</param>
    /// <param name="clean">Clean tokens [batch, pos].</param>
    /// <param name="sender">The head whose output is corrupted.</param>
    /// <param name="receivers">One or more distinct heads, each in a later layer than <paramref name="sender"/>.</param>
    /// <param name="through">Which receiver inputs the path enters.</param>
    /// <param name="corrupted">Corrupted tokens of the same shape; <c>null</c> mean-ablates the sender.</param>
    /// <param name="metric">(logits [batch, pos, d_vocab], clean tokens) → [batch]; averaged over the batch. Default: <see cref="NextTokenLogProb"/>.</param>
    public static PathPatchingResult RunToReceivers(HookedTransformer model, Tensor clean, HeadIndex sender, IReadOnlyList<HeadIndex> receivers,
        PathInput through = PathInput.All, Tensor? corrupted = null, Func<Tensor, Tensor, Tensor>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(receivers);
        if (receivers.Count == 0)
            throw new ArgumentException("receivers is empty; expected at least one receiver head.", nameof(receivers));
        if (receivers.Distinct().Count() != receivers.Count)
            throw new ArgumentException($"receivers [{string.Join(", ", receivers)}] names a head twice; expected distinct heads.", nameof(receivers));
        return Run(model, clean, [(sender, receivers.ToArray())], through, corrupted, metric, maxVariantsPerPass: 1, nameof(receivers))[0];
    }

    /// <summary>
    /// Path patching for many sender → receiver pairs, batched: at most <paramref name="maxVariantsPerPass"/> variants per forward pass.
    /// </summary>
    /// <param name="model">The model; its hook options are restored afterwards.</param>
    /// <param name="clean">Clean tokens [batch, pos].</param>
    /// <param name="pairs">Each sender must sit in an earlier layer than its receiver.</param>
    /// <param name="through">Which receiver inputs the path enters.</param>
    /// <param name="corrupted">Corrupted tokens of the same shape; <c>null</c> mean-ablates the sender.</param>
    /// <param name="metric">(logits [batch, pos, d_vocab], clean tokens) → [batch]; averaged over the batch. Default: <see cref="NextTokenLogProb"/>.</param>
    /// <param name="maxVariantsPerPass">How many patched copies of the batch share one forward pass.</param>
    public static IReadOnlyList<PathPatchingResult> Run(HookedTransformer model, Tensor clean, IReadOnlyList<(HeadIndex Sender, HeadIndex Receiver)> pairs,
        PathInput through = PathInput.All, Tensor? corrupted = null, Func<Tensor, Tensor, Tensor>? metric = null, int maxVariantsPerPass = 16)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return Run(model, clean, pairs.Select(p => (p.Sender, new[] { p.Receiver })).ToList(), through, corrupted, metric, maxVariantsPerPass, nameof(pairs));
    }

    /// <summary>The variants: each a sender and the receivers its corrupted output is patched into, together.</summary>
    private static IReadOnlyList<PathPatchingResult> Run(HookedTransformer model, Tensor clean, IReadOnlyList<(HeadIndex Sender, HeadIndex[] Receivers)> variants,
        PathInput through, Tensor? corrupted, Func<Tensor, Tensor, Tensor>? metric, int maxVariantsPerPass, string receiversArgument)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Cfg;
        if ((through & PathInput.All) == 0)
            throw new ArgumentException($"through is {through}; expected Query, Key, Value or a combination.", nameof(through));
        foreach (var (s, receivers) in variants)
        {
            s.Validate(cfg, "sender");
            foreach (var r in receivers)
            {
                r.Validate(cfg, receiversArgument);
                if (s.Layer >= r.Layer)
                    throw new ArgumentException($"Sender {s} cannot compose with receiver {r}: the receiver must be in a later layer than the sender.", receiversArgument);
            }
        }
        if (maxVariantsPerPass < 1)
            throw new ArgumentOutOfRangeException(nameof(maxVariantsPerPass), maxVariantsPerPass, "expected at least 1.");
        metric ??= NextTokenLogProb;
        var tokens = clean.dim() == 1 ? clean.unsqueeze(0) : clean;
        if (corrupted is not null && !corrupted.shape.SequenceEqual(tokens.shape) && !(corrupted.dim() == 1 && corrupted.shape[0] == tokens.shape[1]))
            throw new ArgumentException($"corrupted has shape [{string.Join(", ", corrupted.shape)}]; it must match the clean tokens [{string.Join(", ", tokens.shape)}].", nameof(corrupted));

        var previousOptions = model.Options;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        try
        {
            model.SetHookOptions(previousOptions with { UseSplitQkvInput = true });
            var zNames = Enumerable.Range(0, cfg.NLayers).Select(l => $"blocks.{l}.attn.hook_z").ToList();
            var (cleanLogits, cleanCache) = model.RunWithCache(tokens, zNames);
            using var _ = cleanCache;
            double cleanMetric = metric(cleanLogits, tokens).mean().to(ScalarType.Float32).item<float>();

            // The sender's corrupted output z′ per layer [batch, pos, head, d_head].
            var corruptedZ = new Tensor[cfg.NLayers];
            double? corruptedInputMetric = null;
            if (corrupted is not null)
            {
                var (corruptLogits, corruptCache) = model.RunWithCache(corrupted.dim() == 1 ? corrupted.unsqueeze(0) : corrupted, zNames);
                using (corruptCache)
                {
                    corruptedInputMetric = metric(corruptLogits, tokens).mean().to(ScalarType.Float32).item<float>();
                    for (int l = 0; l < cfg.NLayers; l++)
                        corruptedZ[l] = corruptCache[zNames[l]].clone();
                }
            }
            else
            {
                for (int l = 0; l < cfg.NLayers; l++)
                    corruptedZ[l] = cleanCache[zNames[l]].mean([0L, 1L], keepdim: true).expand_as(cleanCache[zNames[l]]).clone();
            }

            var senderAblation = corruptedInputMetric is null
                ? SenderAblationMetrics(model, tokens, variants.Select(p => p.Sender).Distinct().ToList(), corruptedZ, metric, maxVariantsPerPass)
                : null;
            var patched = PatchedMetrics(model, tokens, variants, through, cleanCache, zNames, corruptedZ, metric, maxVariantsPerPass);
            return variants.Select((p, i) => new PathPatchingResult(p.Sender, p.Receivers, through, cleanMetric,
                corruptedInputMetric ?? senderAblation![p.Sender], patched[i])).ToList();
        }
        finally
        {
            model.SetHookOptions(previousOptions);
        }
    }

    /// <summary>The metric with each sender replaced by z′ along every path.</summary>
    private static Dictionary<HeadIndex, double> SenderAblationMetrics(HookedTransformer model, Tensor tokens, List<HeadIndex> senders,
        Tensor[] corruptedZ, Func<Tensor, Tensor, Tensor> metric, int maxVariants)
    {
        var result = new Dictionary<HeadIndex, double>();
        long batch = tokens.shape[0];
        foreach (var chunk in senders.Chunk(maxVariants))
        {
            using var scope = NewDisposeScope();
            var hooks = chunk.GroupBy(s => s.Layer).Select(group => new Hook($"blocks.{group.Key}.attn.hook_z", (z, _) =>
            {
                var patched = z.clone();
                foreach (var sender in group)
                {
                    long row = Array.IndexOf(chunk, sender) * batch;
                    patched[TensorIndex.Slice(row, row + batch), .., sender.Head] = corruptedZ[sender.Layer][.., .., sender.Head];
                }
                return patched;
            })).ToList();
            var logits = model.RunWithHooks(tokens.repeat(chunk.Length, 1), hooks);
            var perRow = metric(logits, tokens.repeat(chunk.Length, 1));
            for (int v = 0; v < chunk.Length; v++)
                result[chunk[v]] = perRow[TensorIndex.Slice(v * batch, (v + 1) * batch)].mean().to(ScalarType.Float32).item<float>();
        }
        return result;
    }

    /// <summary>The metric with Δ = (z′ − z)·W_O[sender] added to each receiver's chosen inputs only.</summary>
    private static double[] PatchedMetrics(HookedTransformer model, Tensor tokens, IReadOnlyList<(HeadIndex Sender, HeadIndex[] Receivers)> variants,
        PathInput through, ActivationCache cleanCache, List<string> zNames, Tensor[] corruptedZ, Func<Tensor, Tensor, Tensor> metric, int maxVariants)
    {
        var cfg = model.Cfg;
        int group = cfg.NHeads / cfg.EffectiveKeyValueHeads;
        long batch = tokens.shape[0];
        var results = new double[variants.Count];
        var indexed = variants.Select((p, i) => (p.Sender, p.Receivers, Index: i)).ToArray();
        foreach (var chunk in indexed.Chunk(maxVariants))
        {
            using var scope = NewDisposeScope();
            // Δ per variant [batch, pos, d_model].
            var deltas = chunk.Select(v =>
            {
                var s = v.Sender;
                var dz = corruptedZ[s.Layer][.., .., s.Head] - cleanCache[zNames[s.Layer]][.., .., s.Head];  // [batch, pos, d_head]
                return dz.matmul(model.blocks[s.Layer].attn.W_O.detach()[s.Head]);
            }).ToArray();
            var hooks = new List<Hook>();
            foreach (var layer in chunk.SelectMany(v => v.Receivers).Select(r => r.Layer).Distinct())
            {
                foreach (var (flag, point, kvShared) in new[] { (PathInput.Query, "hook_q_input", false), (PathInput.Key, "hook_k_input", true), (PathInput.Value, "hook_v_input", true) })
                {
                    if ((through & flag) == 0)
                        continue;
                    hooks.Add(new Hook($"blocks.{layer}.{point}", (x, _) =>
                    {
                        var patched = x.clone();
                        for (int v = 0; v < chunk.Length; v++)
                        {
                            long row = v * batch;
                            // Grouped-query attention: receivers that share a key/value head receive Δ once there.
                            var heads = chunk[v].Receivers.Where(r => r.Layer == layer).Select(r => kvShared ? r.Head / group : r.Head).Distinct();
                            foreach (int head in heads)
                                patched[TensorIndex.Slice(row, row + batch), .., head] += deltas[v];
                        }
                        return patched;
                    }));
                }
            }
            var repeated = tokens.repeat(chunk.Length, 1);
            var perRow = metric(model.RunWithHooks(repeated, hooks), repeated);
            for (int v = 0; v < chunk.Length; v++)
                results[chunk[v].Index] = perRow[TensorIndex.Slice(v * batch, (v + 1) * batch)].mean().to(ScalarType.Float32).item<float>();
        }
        return results;
    }
}
