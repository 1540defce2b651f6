using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>Residual-stream views: accumulated (logit lens), decomposed, and frozen-layer-norm scaling.</summary>
public sealed partial class ActivationCache
{
    /// <summary>
    /// The residual stream entering each block up to <paramref name="layer"/> (TL <c>accumulated_resid</c>): labels
    /// <c>0_pre</c>, <c>0_mid</c> (with <paramref name="inclMid"/>), …, <c>final_post</c> when <paramref name="layer"/> is
    /// n_layers (the default; −1 means the same). With <paramref name="applyLn"/> the stack is normalised as the reader at
    /// <paramref name="layer"/> would (the final layer recomputes ln_final fully, so stack·W_U + b_U are logit-lens logits).
    /// </summary>
    /// <returns>[layers_covered, *batch_and_pos_dims, d_model].</returns>
    public LabeledStack AccumulatedResid(int? layer = null, bool inclMid = false, bool applyLn = false, Slice? posSlice = null, bool mlpInput = false)
    {
        int n = Model.Cfg.NLayers;
        int upTo = ResolveStackLayer(layer);
        posSlice ??= Slice.All;
        var labels = new List<string>();
        var parts = new List<Tensor>();
        bool hasMid = !Model.Cfg.AttnOnly && !Model.Cfg.ParallelAttnMlp;
        for (int l = 0; l <= upTo; l++)
        {
            if (l == n)
            {
                parts.Add(this[ActNames.GetActName("resid_post", n - 1)]);
                labels.Add("final_post");
                continue;
            }
            parts.Add(this[ActNames.GetActName("resid_pre", l)]);
            labels.Add($"{l}_pre");
            if (hasMid && ((inclMid && l < upTo) || (mlpInput && l == upTo)))
            {
                parts.Add(this[ActNames.GetActName("resid_mid", l)]);
                labels.Add($"{l}_mid");
            }
        }
        using var scope = NewDisposeScope();
        var stack = stack_(parts.Select(p => posSlice.Apply(p, -2)));
        if (applyLn)
            stack = ApplyLnToStack(stack, upTo, mlpInput, posSlice, recomputeLn: upTo == n);
        return new LabeledStack(stack.MoveToOuterDisposeScope(), labels);
    }

    /// <summary>
    /// The residual stream entering block <paramref name="layer"/> split into the outputs that wrote it (TL
    /// <c>decompose_resid</c>): <c>embed</c>, <c>pos_embed</c>, then <c>{l}_attn_out</c> and <c>{l}_mlp_out</c> for each earlier
    /// block (and <c>{layer}_attn_out</c> with <paramref name="mlpInput"/> in sequential blocks). With every mode and
    /// <paramref name="inclEmbeds"/>, the components sum exactly to the stream (biases live inside attn_out and mlp_out).
    /// </summary>
    /// <param name="mode"><c>all</c>, <c>attn</c> or <c>mlp</c>.</param>
    /// <returns>[components, *batch_and_pos_dims, d_model].</returns>
    public LabeledStack DecomposeResid(int? layer = null, bool mlpInput = false, string mode = "all", bool applyLn = false,
        Slice? posSlice = null, bool inclEmbeds = true)
    {
        if (mode is not ("all" or "attn" or "mlp"))
            throw new ArgumentException($"mode is '{mode}'; expected all, attn or mlp.", nameof(mode));
        int upTo = ResolveStackLayer(layer);
        posSlice ??= Slice.All;
        bool inclAttn = mode != "mlp", inclMlp = mode != "attn" && !Model.Cfg.AttnOnly;
        var labels = new List<string>();
        var parts = new List<Tensor>();
        if (inclEmbeds)
        {
            parts.Add(this["hook_embed"]);
            labels.Add("embed");
            if (Model.pos_embed is not null)
            {
                parts.Add(this["hook_pos_embed"]);
                labels.Add("pos_embed");
            }
        }
        for (int l = 0; l < upTo; l++)
        {
            if (inclAttn)
            {
                parts.Add(this[ActNames.GetActName("attn_out", l)]);
                labels.Add($"{l}_attn_out");
            }
            if (inclMlp)
            {
                parts.Add(this[ActNames.GetActName("mlp_out", l)]);
                labels.Add($"{l}_mlp_out");
            }
        }
        if (mlpInput && inclAttn && upTo < Model.Cfg.NLayers && !Model.Cfg.ParallelAttnMlp)
        {
            parts.Add(this[ActNames.GetActName("attn_out", upTo)]);
            labels.Add($"{upTo}_attn_out");
        }
        if (parts.Count == 0)
            throw new ArgumentException($"Nothing to decompose: layer {upTo}, mode {mode}, inclEmbeds {inclEmbeds} select no components.", nameof(mode));
        using var scope = NewDisposeScope();
        var stack = stack_(parts.Select(p => posSlice.Apply(p, -2)));
        if (applyLn)
            stack = ApplyLnToStack(stack, upTo, mlpInput, posSlice);
        return new LabeledStack(stack.MoveToOuterDisposeScope(), labels);
    }

    /// <summary>
    /// Divides each component by the cached normalisation scale of the reader at <paramref name="layer"/> (ln1, or ln2
    /// with <paramref name="mlpInput"/>; ln_final at n_layers), centring first for LayerNorm and not for RMSNorm
    /// (TL <c>apply_ln_to_stack</c>). The scale is frozen — taken from the real forward pass — so the map is linear and
    /// Σ ApplyLnToStack(components) = normalised(Σ components) before the norm's own w and b.
    /// </summary>
    /// <param name="stack">[components, *batch_and_pos_dims, d_model] matching this cache after <paramref name="posSlice"/>.</param>
    /// <param name="layer">The reader's layer; <c>null</c> or −1 mean ln_final.</param>
    /// <param name="mlpInput">Use ln2's scale instead of ln1's.</param>
    /// <param name="posSlice">The position slice already applied to <paramref name="stack"/>.</param>
    /// <param name="batchSlice">A batch slice to apply to the stack (dim 1) and the scale.</param>
    /// <param name="hasBatchDim">Whether <paramref name="stack"/> has a batch dimension after its component dimension.</param>
    /// <param name="recomputeLn">At the final layer, apply ln_final in full (fresh statistics, w and b) to each component: the logit lens.</param>
    public Tensor ApplyLnToStack(Tensor stack, int? layer = null, bool mlpInput = false, Slice? posSlice = null, Slice? batchSlice = null,
        bool hasBatchDim = true, bool recomputeLn = false)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var cfg = Model.Cfg;
        if (stack.shape[^1] != cfg.DModel)
            throw new ArgumentException($"stack has shape [{string.Join(", ", stack.shape)}]; its last dimension must be d_model ({cfg.DModel}).", nameof(stack));
        if (cfg.Normalization == NormalizationType.None)
            return stack;
        int reader = ResolveStackLayer(layer);
        posSlice ??= Slice.All;
        batchSlice ??= Slice.All;
        if (hasBatchDim)
            stack = batchSlice.Apply(stack, 1);
        if (recomputeLn && reader == cfg.NLayers)
            return Model.ln_final.Normalize(stack, runHooks: false);
        if (cfg.NormCenters)
            stack = stack - stack.mean([-1L], keepdim: true);
        var scale = posSlice.Apply(CachedScale(reader, mlpInput), -2);
        if (hasBatchDim && HasBatchDim)
            scale = batchSlice.Apply(scale, 0);
        if (stack.dim() - 1 != scale.dim())
            throw new ArgumentException(
                $"stack has shape [{string.Join(", ", stack.shape)}] but the cached scale, after the slices, has shape [{string.Join(", ", scale.shape)}]: " +
                "pass the posSlice/batchSlice used to build the stack.", nameof(stack));
        return stack / scale;
    }

    private Tensor CachedScale(int layer, bool mlpInput)
    {
        if (layer == Model.Cfg.NLayers)
            return this["ln_final.hook_scale"];
        return this[$"blocks.{layer}.{(mlpInput ? "ln2" : "ln1")}.hook_scale"];
    }

    /// <summary>null and −1 mean n_layers (as TransformerLens); otherwise 0 ≤ layer ≤ n_layers.</summary>
    private int ResolveStackLayer(int? layer)
    {
        int n = Model.Cfg.NLayers;
        if (layer is null or -1)
            return n;
        if (layer < 0 || layer > n)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"expected a layer in [0, {n}] (or −1/null for all {n} layers).");
        return layer.Value;
    }

    private static Tensor stack_(IEnumerable<Tensor> parts) => stack(parts.ToArray());
}
