using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Exact activation patching (TransformerLens <c>patching.py</c>): run one input, replace one activation — at one layer
/// and one index set (position, head, neuron, pattern entry) — by its value on the other input, and record the metric.
/// Every patch is a real forward pass; nothing is approximated. Patched variants go through the model stacked along the
/// batch, as many per pass as <see cref="PatchingOptions"/> allow; the result equals one patch per forward pass.
/// </summary>
/// <remarks>
/// Denoising (TL's only direction): run the corrupted tokens, patch in the clean activation; noising: run the clean
/// tokens, patch in the corrupted one. For each index set i, value[i] = mean_b metric(logits of the patched run)_b.
/// Under grouped-query attention, <c>k</c> and <c>v</c> are [batch, pos, kv_head, d_head] and their head axis is the
/// key/value head: a patch there reaches every query head that reads it, and results are indexed by key/value head
/// (TL's "every" helpers zero-pad such results to n_heads to stack them; see TL issue 980 on GQA patching).
/// </remarks>
public static class ActivationPatching
{
    /// <summary>
    /// TL <c>generic_activation_patch</c> over the full grid of <paramref name="indexAxes"/>: one patch per combination of
    /// layer and the other axes, the result shaped [size of each axis].
    /// </summary>
    /// <param name="model">The model; hooks are removed afterwards.</param>
    /// <param name="cleanTokens">[batch, pos] or [pos].</param>
    /// <param name="corruptedTokens">The same shape as <paramref name="cleanTokens"/>.</param>
    /// <param name="metric">logits [batch, pos, d_vocab] → one value per batch row [batch]; averaged over the batch.</param>
    /// <param name="activationName">TL's short name: resid_pre, resid_mid, resid_post, attn_out, mlp_out, q, k, v, z, pattern, attn_scores, pre, post, ….</param>
    /// <param name="indexAxes">Layer first, then any axes of that activation (pos, head, dest_pos, src_pos, neuron).</param>
    /// <param name="direction">Denoising (default, as TL) or noising.</param>
    /// <param name="options">Variants per forward pass; default a 256 MiB budget.</param>
    /// <exception cref="ArgumentException">Inputs of different shapes, an unknown activation or axis, a metric that does not return [batch].</exception>
    public static PatchingResult GenericActivationPatch(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        string activationName, IReadOnlyList<PatchAxis> indexAxes, PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        Patch(model, cleanTokens, corruptedTokens, metric, activationName, indexAxes, null, direction, options);

    /// <summary>
    /// TL <c>generic_activation_patch</c> with an explicit <c>index_df</c>: one patch per index set in
    /// <paramref name="indices"/> (each one value per axis of <paramref name="indexAxes"/>), the result flat [indices].
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index outside its axis.</exception>
    public static PatchingResult GenericActivationPatch(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        string activationName, IReadOnlyList<PatchAxis> indexAxes, IReadOnlyList<int[]> indices, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return Patch(model, cleanTokens, corruptedTokens, metric, activationName, indexAxes, indices, direction, options);
    }

    /// <summary>TL <c>get_act_patch_resid_pre</c>: the residual stream entering each block, by position. [n_layers, pos].</summary>
    public static PatchingResult GetActPatchResidPre(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "resid_pre", [PatchAxis.Layer, PatchAxis.Pos], direction, options);

    /// <summary>TL <c>get_act_patch_resid_mid</c>: the residual stream between attention and MLP, by position. [n_layers, pos].</summary>
    public static PatchingResult GetActPatchResidMid(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "resid_mid", [PatchAxis.Layer, PatchAxis.Pos], direction, options);

    /// <summary>The residual stream leaving each block, by position (TL has no helper for it). [n_layers, pos].</summary>
    public static PatchingResult GetActPatchResidPost(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "resid_post", [PatchAxis.Layer, PatchAxis.Pos], direction, options);

    /// <summary>TL <c>get_act_patch_attn_out</c>: each attention layer's output, by position. [n_layers, pos].</summary>
    public static PatchingResult GetActPatchAttnOut(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "attn_out", [PatchAxis.Layer, PatchAxis.Pos], direction, options);

    /// <summary>TL <c>get_act_patch_mlp_out</c>: each MLP's output, by position. [n_layers, pos].</summary>
    public static PatchingResult GetActPatchMlpOut(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "mlp_out", [PatchAxis.Layer, PatchAxis.Pos], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_out_all_pos</c>: each head's output z at every position at once. [n_layers, n_heads].</summary>
    public static PatchingResult GetActPatchAttnHeadOutAllPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "z", [PatchAxis.Layer, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_q_all_pos</c>: each head's queries. [n_layers, n_heads].</summary>
    public static PatchingResult GetActPatchAttnHeadQAllPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "q", [PatchAxis.Layer, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_k_all_pos</c>: each key/value head's keys. [n_layers, n_kv_heads].</summary>
    public static PatchingResult GetActPatchAttnHeadKAllPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "k", [PatchAxis.Layer, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_v_all_pos</c>: each key/value head's values. [n_layers, n_kv_heads].</summary>
    public static PatchingResult GetActPatchAttnHeadVAllPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "v", [PatchAxis.Layer, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_pattern_all_pos</c>: each head's whole attention pattern. [n_layers, n_heads].</summary>
    public static PatchingResult GetActPatchAttnHeadPatternAllPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "pattern", [PatchAxis.Layer, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_out_by_pos</c>: each head's output at one position. [n_layers, pos, n_heads].</summary>
    public static PatchingResult GetActPatchAttnHeadOutByPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "z", [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_q_by_pos</c>. [n_layers, pos, n_heads].</summary>
    public static PatchingResult GetActPatchAttnHeadQByPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "q", [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_k_by_pos</c>, indexed by key/value head. [n_layers, pos, n_kv_heads].</summary>
    public static PatchingResult GetActPatchAttnHeadKByPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "k", [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_v_by_pos</c>, indexed by key/value head. [n_layers, pos, n_kv_heads].</summary>
    public static PatchingResult GetActPatchAttnHeadVByPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "v", [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_pattern_by_pos</c>: one destination row of a head's pattern. [n_layers, n_heads, dest_pos].</summary>
    public static PatchingResult GetActPatchAttnHeadPatternByPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "pattern", [PatchAxis.Layer, PatchAxis.Head, PatchAxis.DestPos], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_pattern_dest_src_pos</c>: one entry of a head's pattern. [n_layers, n_heads, dest_pos, src_pos].</summary>
    public static PatchingResult GetActPatchAttnHeadPatternDestSrcPos(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, "pattern", [PatchAxis.Layer, PatchAxis.Head, PatchAxis.DestPos, PatchAxis.SrcPos], direction, options);

    /// <summary>
    /// TL <c>get_act_patch_attn_head_all_pos_every</c>: output (z), q, k, v and pattern of every head over all positions,
    /// in that order. TL stacks them into [5, n_layers, n_heads], padding k and v with zeros under GQA; here k and v keep
    /// their [n_layers, n_kv_heads] shape.
    /// </summary>
    public static IReadOnlyList<PatchingResult> GetActPatchAttnHeadAllPosEvery(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens,
        Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        new[] { "z", "q", "k", "v", "pattern" }.Select(name =>
            GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, name, [PatchAxis.Layer, PatchAxis.Head], direction, options)).ToList();

    /// <summary>
    /// TL <c>get_act_patch_attn_head_by_pos_every</c>: z, q, k, v by position [n_layers, pos, heads] and the pattern by
    /// destination position, here [n_layers, n_heads, dest_pos] (TL rearranges it to [n_layers, pos, n_heads] to stack).
    /// </summary>
    public static IReadOnlyList<PatchingResult> GetActPatchAttnHeadByPosEvery(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens,
        Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null)
    {
        var results = new[] { "z", "q", "k", "v" }.Select(name =>
            GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, name, [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head], direction, options)).ToList();
        results.Add(GetActPatchAttnHeadPatternByPos(model, cleanTokens, corruptedTokens, metric, direction, options));
        return results;
    }

    /// <summary>TL <c>get_act_patch_block_every</c>: resid_pre, attn_out and mlp_out by layer and position (mlp_out omitted in attention-only models).</summary>
    public static IReadOnlyList<PatchingResult> GetActPatchBlockEvery(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens,
        Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = model.Cfg.AttnOnly ? new[] { "resid_pre", "attn_out" } : ["resid_pre", "attn_out", "mlp_out"];
        return names.Select(name =>
            GenericActivationPatch(model, cleanTokens, corruptedTokens, metric, name, [PatchAxis.Layer, PatchAxis.Pos], direction, options)).ToList();
    }

    /// <summary>
    /// The estimated peak memory of one forward pass per input sequence, in bytes: for each position, the logits twice
    /// (and once more for a metric's log-softmax), and per layer the residual-width activations (8 × d_model), the MLP's
    /// (4 × d_mlp), the per-head vectors (4 × n_heads × d_head) and the attention scores and pattern (3 × n_heads × pos).
    /// </summary>
    public static long EstimatedBytesPerSequence(HookedTransformerConfig cfg, long positions)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        long element = cfg.Dtype switch { ScalarType.Float64 => 8, ScalarType.Float16 or ScalarType.BFloat16 => 2, _ => 4 };
        long perLayer = 8L * cfg.DModel + (cfg.AttnOnly ? 0 : 4L * cfg.DMlp) + 4L * cfg.NHeads * cfg.DHead + 3L * cfg.NHeads * positions;
        return positions * (3L * cfg.DVocab + cfg.NLayers * perLayer) * element;
    }

    /// <summary>How many patched copies of a batch fit one forward pass under <paramref name="options"/>.</summary>
    public static int VariantsPerPass(HookedTransformerConfig cfg, long batch, long positions, PatchingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        long perVariant = Math.Max(1, batch * EstimatedBytesPerSequence(cfg, positions));
        long fit = Math.Max(1, options.MemoryBudgetBytes / perVariant);
        return (int)Math.Min(fit, options.MaxVariantsPerPass ?? int.MaxValue);
    }

    private static PatchingResult Patch(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        string activationName, IReadOnlyList<PatchAxis> indexAxes, IReadOnlyList<int[]>? indices, PatchDirection direction, PatchingOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metric);
        options = CheckOptions(options);
        PatchingInputs.Direction(direction);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (clean, corrupted) = PatchingInputs.Tokens(model, cleanTokens, corruptedTokens);
        long batch = clean.shape[0], pos = clean.shape[1];
        var site = PatchSite.Resolve(model, activationName, pos, nameof(activationName));
        site.ValidateAxes(indexAxes, nameof(indexAxes));
        var sizes = indexAxes.Select(site.Size).ToArray();
        var sets = indices ?? Grid(sizes);
        if (indices is not null)
            CheckIndices(indices, indexAxes, sizes);

        var names = sets.Select(i => i[0]).Distinct().Order().Select(site.HookName).ToList();
        var (cleanLogits, cleanCache) = model.RunWithCache(clean, names);
        using var _ = cleanCache;
        var (corruptedLogits, corruptedCache) = model.RunWithCache(corrupted, names);
        using var __ = corruptedCache;
        double cleanMetric = PatchingInputs.Mean(metric, cleanLogits, batch);
        double corruptedMetric = PatchingInputs.Mean(metric, corruptedLogits, batch);
        var (target, source) = direction == PatchDirection.Denoising ? (corrupted, cleanCache) : (clean, corruptedCache);

        var values = new double[sets.Count];
        int perPass = VariantsPerPass(model.Cfg, batch, pos, options), passes = 0;
        foreach (var layer in sets.Select((set, i) => (Set: set, Index: i)).GroupBy(x => x.Set[0]))
        {
            string hookName = site.HookName(layer.Key);
            var activation = source[hookName];  // [batch, …]
            foreach (var chunk in layer.Chunk(perPass))
            {
                using var step = NewDisposeScope();
                var mask = Mask(site, indexAxes, activation.shape, chunk.Select(c => c.Set).ToArray(), model.Device);  // [variants, 1, …]
                var patch = new Hook(hookName, (act, _) =>
                {
                    var grouped = act.reshape([chunk.Length, .. activation.shape]);
                    return where(mask, activation.unsqueeze(0), grouped).reshape(act.shape);
                });
                var logits = model.RunWithHooks(target.repeat(chunk.Length, 1), [patch]);
                passes++;
                for (int v = 0; v < chunk.Length; v++)
                    values[chunk[v].Index] = PatchingInputs.Mean(metric, logits[TensorIndex.Slice(v * batch, (v + 1) * batch)], batch);
            }
        }
        var shape = indices is null ? sizes : [sets.Count];
        var result = tensor(values.Select(v => (float)v).ToArray(), shape, device: model.Device).MoveToOuterDisposeScope();
        return new PatchingResult(site.Activation, indexAxes.ToList(), result, indices?.Select(i => i.ToArray()).ToList(), direction,
            cleanMetric, corruptedMetric, "exact", passes + 2, 0);
    }

    /// <summary>
    /// The patch mask [variants, 1, …]: true where variant v replaces the activation. A dimension an axis indexes keeps its
    /// size; the others have size 1 and broadcast, so each variant marks exactly one element of its block.
    /// </summary>
    private static Tensor Mask(PatchSite site, IReadOnlyList<PatchAxis> axes, long[] activationShape, int[][] sets, Device device)
    {
        var maskShape = new long[site.Rank + 1];
        maskShape[0] = sets.Length;
        maskShape[1] = 1;
        var indexed = axes.Skip(1).ToDictionary(site.Dim, a => a);
        for (int d = 1; d < site.Rank; d++)
            maskShape[d + 1] = indexed.ContainsKey(d) ? activationShape[d] : 1;
        var strides = new long[site.Rank + 1];
        strides[site.Rank] = 1;
        for (int d = site.Rank - 1; d >= 0; d--)
            strides[d] = strides[d + 1] * maskShape[d + 1];
        var flags = new bool[sets.Length * strides[0]];
        for (int v = 0; v < sets.Length; v++)
        {
            long offset = v * strides[0];
            for (int a = 1; a < axes.Count; a++)
                offset += sets[v][a] * strides[site.Dim(axes[a]) + 1];
            flags[offset] = true;
        }
        return tensor(flags, maskShape, device: device);
    }

    private static List<int[]> Grid(long[] sizes)
    {
        var sets = new List<int[]> { Array.Empty<int>() };
        foreach (long size in sizes)
            sets = sets.SelectMany(prefix => Enumerable.Range(0, (int)size).Select(i => (int[])[.. prefix, i])).ToList();
        return sets;
    }

    private static void CheckIndices(IReadOnlyList<int[]> indices, IReadOnlyList<PatchAxis> axes, long[] sizes)
    {
        if (indices.Count == 0)
            throw new ArgumentException("indices is empty; expected at least one index set.", nameof(indices));
        for (int i = 0; i < indices.Count; i++)
        {
            var set = indices[i] ?? throw new ArgumentNullException(nameof(indices), $"indices[{i}] is null.");
            if (set.Length != axes.Count)
                throw new ArgumentException($"indices[{i}] has {set.Length} values; expected one per axis ({string.Join(", ", axes.Select(a => a.TlName()))}).", nameof(indices));
            for (int a = 0; a < set.Length; a++)
                if (set[a] < 0 || set[a] >= sizes[a])
                    throw new ArgumentOutOfRangeException(nameof(indices), set[a], $"indices[{i}][{a}] ({axes[a].TlName()}) is {set[a]}; expected [0, {sizes[a]}).");
        }
    }

    internal static PatchingOptions CheckOptions(PatchingOptions? options)
    {
        options ??= PatchingOptions.Default;
        if (options.MemoryBudgetBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MemoryBudgetBytes, $"options.MemoryBudgetBytes is {options.MemoryBudgetBytes}; expected a positive number of bytes.");
        if (options.MaxVariantsPerPass is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxVariantsPerPass, $"options.MaxVariantsPerPass is {options.MaxVariantsPerPass}; expected at least 1 (or null).");
        return options;
    }
}
