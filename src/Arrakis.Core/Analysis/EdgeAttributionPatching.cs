using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Edge attribution patching (EAP, Syed et al. 2023, "Attribution Patching Outperforms Automated Circuit Discovery") and
/// EAP with integrated gradients (EAP-IG, Hanna et al. 2024, "Have Faith in Faithfulness"): a score for every edge of
/// the computational graph from two forward passes and one backward pass. <b>Approximate</b>: a first-order estimate
/// of patching that one edge (exact patching of an edge between heads is <see cref="PathPatching"/>).
/// </summary>
/// <remarks>
/// An upstream node u writes w_u into the residual stream (the embeddings; z_h·W_O[h] for a head; an MLP's output); a
/// downstream input v reads the residual stream (a head's q/k/v input before its layer norm, an MLP's input, the final
/// residual stream). With the target run's gradient G_v = ∂ mean_b metric / ∂(input of v) and the source run's write w′_u,
/// score(u → v) = Σ_{b, pos, d} (w′_u − w_u)·G_v. Noising (default, as in the papers): target = clean, source = corrupted.
/// EAP-IG replaces G_v by its average over the input embeddings interpolated from the target's to the source's,
/// e_α = e + α(e′ − e) at the midpoints α = (k − ½)/m, k = 1…m (one forward and backward pass of m × batch rows).
/// Since the embeddings are read by every downstream input, Σ_v score(input → v) is exactly the embeddings' own
/// attribution (e′ − e)·∂metric/∂e, and under EAP-IG it tends to metric(source) − metric(target) as m grows
/// (the completeness of integrated gradients); both are tested.
/// </remarks>
public static class EdgeAttributionPatching
{
    /// <summary>Scores every edge of <paramref name="model"/>'s graph.</summary>
    /// <param name="model">The model; its hook options are restored afterwards.</param>
    /// <param name="cleanTokens">[batch, pos] or [pos].</param>
    /// <param name="corruptedTokens">The same shape.</param>
    /// <param name="metric">logits → [batch]; its batch mean is differentiated.</param>
    /// <param name="direction">Noising (default: gradients at the clean run, corrupted writes) or denoising.</param>
    /// <param name="integratedGradientSteps">0 for EAP; m ≥ 1 for EAP-IG with m interpolation steps.</param>
    /// <param name="sourceWrites">
    /// Optional: applied to each of the source run's writes (<c>hook_embed</c>, <c>hook_pos_embed</c>, each <c>hook_z</c> and
    /// <c>hook_mlp_out</c>, [batch, pos, …]) before scoring and interpolating, e.g. x ↦ mean_b x (mean ablation, used by
    /// circuit discovery); it must keep the shape. The source metric is still the source tokens' run.
    /// </param>
    /// <exception cref="ArgumentException">Inputs of different shapes, a metric that does not return [batch].</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative step count.</exception>
    public static AttributionGraph Run(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Noising, int integratedGradientSteps = 0, Func<Tensor, Tensor>? sourceWrites = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metric);
        PatchingInputs.Direction(direction);
        if (integratedGradientSteps < 0)
            throw new ArgumentOutOfRangeException(nameof(integratedGradientSteps), integratedGradientSteps, $"integratedGradientSteps is {integratedGradientSteps}; expected 0 (EAP) or a number of steps ≥ 1 (EAP-IG).");
        var cfg = model.Cfg;
        var previous = model.Options;
        using var scope = NewDisposeScope();
        var (clean, corrupted) = PatchingInputs.Tokens(model, cleanTokens, corruptedTokens);
        long batch = clean.shape[0];
        var (target, source) = direction == PatchDirection.Denoising ? (corrupted, clean) : (clean, corrupted);
        try
        {
            model.SetHookOptions(previous with { UseSplitQkvInput = true, UseHookMlpIn = !cfg.AttnOnly });
            var writes = WriteNames(model);
            var reads = ReadNames(cfg);

            var (sourceLogits, sourceCache) = model.RunWithCache(source, writes);
            using var _ = sourceCache;
            IReadOnlyDictionary<string, Tensor> sourceValues = sourceWrites is null ? sourceCache : writes.ToDictionary(n => n, n => SourceWrite(sourceWrites, sourceCache[n], n));
            Tensor targetLogits;
            ActivationCache targetCache, gradientCache;
            int forwardPasses = 2;
            if (integratedGradientSteps == 0)
            {
                (targetLogits, targetCache) = model.RunWithCache(target, writes.Concat(reads), includeBackward: true,
                    backwardMetric: logits => PatchingInputs.PerRow(metric, logits, batch).mean());
                gradientCache = targetCache;
            }
            else
            {
                (targetLogits, targetCache) = model.RunWithCache(target, writes);
                gradientCache = IntegratedGradients(model, target, metric, batch, integratedGradientSteps, targetCache, sourceValues);
                forwardPasses = 3;
            }
            using var __ = targetCache;
            using var ___ = ReferenceEquals(gradientCache, targetCache) ? null : gradientCache;
            double targetMetric = PatchingInputs.Mean(metric, targetLogits, batch), sourceMetric = PatchingInputs.Mean(metric, sourceLogits, batch);

            using var noGrad = no_grad();
            var (upstream, deltas) = Writes(model, targetCache, sourceValues);     // [U, batch·pos·d_model]
            var (downstream, gradients) = Reads(model, gradientCache, integratedGradientSteps);  // [D, batch·pos·d_model]
            var scores = deltas.to(float64).matmul(gradients.to(float64).t()).cpu();  // [U, D]
            var values = scores.data<double>().ToArray();
            var edges = new List<GraphEdge>();
            for (int u = 0; u < upstream.Count; u++)
                for (int d = 0; d < downstream.Count; d++)
                    if (WriteSlot(upstream[u], cfg) < ReadSlot(downstream[d].Node, downstream[d].Input, cfg))
                        edges.Add(new GraphEdge(upstream[u], downstream[d].Node, downstream[d].Input, values[u * downstream.Count + d]));
            var nodes = upstream.Concat(downstream.Select(d => d.Node)).Distinct()
                .OrderBy(n => n.Kind == GraphNodeKind.Logits ? 2 * cfg.NLayers + 3 : n.Kind == GraphNodeKind.Input ? 0 : WriteSlot(n, cfg))
                .ThenBy(n => n.Kind).ThenBy(n => n.Head).ToList();
            var (cleanMetric, corruptedMetric) = direction == PatchDirection.Denoising ? (sourceMetric, targetMetric) : (targetMetric, sourceMetric);
            return new AttributionGraph(nodes, edges, integratedGradientSteps == 0 ? "EAP" : "EAP-IG", direction, cleanMetric, corruptedMetric,
                forwardPasses, 1, integratedGradientSteps);
        }
        finally
        {
            model.SetHookOptions(previous);
        }
    }

    /// <summary>The caller's transform of one source write, checked to keep the shape.</summary>
    private static Tensor SourceWrite(Func<Tensor, Tensor> transform, Tensor write, string name)
    {
        var value = transform(write);
        if (value is null || !value.shape.SequenceEqual(write.shape))
            throw new ArgumentException($"sourceWrites turned {name} [{string.Join(", ", write.shape)}] into {(value is null ? "null" : $"[{string.Join(", ", value.shape)}]")}; expected the same shape.", "sourceWrites");
        return value;
    }

    /// <summary>The upstream hook points: embeddings, each layer's z and MLP output.</summary>
    internal static List<string> WriteNames(HookedTransformer model)
    {
        var names = new List<string> { "hook_embed" };
        if (model.pos_embed is not null)
            names.Add("hook_pos_embed");
        for (int l = 0; l < model.Cfg.NLayers; l++)
        {
            names.Add($"blocks.{l}.attn.hook_z");
            if (!model.Cfg.AttnOnly)
                names.Add($"blocks.{l}.hook_mlp_out");
        }
        return names;
    }

    /// <summary>The downstream hook points: each layer's q/k/v and MLP inputs, the final residual stream.</summary>
    private static List<string> ReadNames(HookedTransformerConfig cfg)
    {
        var names = new List<string>();
        for (int l = 0; l < cfg.NLayers; l++)
        {
            names.AddRange([$"blocks.{l}.hook_q_input", $"blocks.{l}.hook_k_input", $"blocks.{l}.hook_v_input"]);
            if (!cfg.AttnOnly)
                names.Add($"blocks.{l}.hook_mlp_in");
        }
        names.Add($"blocks.{cfg.NLayers - 1}.hook_resid_post");
        return names;
    }

    /// <summary>The gradients at the downstream inputs averaged over m interpolated embeddings: a cache of [m·batch, …] "_grad" entries.</summary>
    private static ActivationCache IntegratedGradients(HookedTransformer model, Tensor target, Func<Tensor, Tensor> metric, long batch, int steps,
        ActivationCache targetCache, IReadOnlyDictionary<string, Tensor> sourceCache)
    {
        var alphas = tensor(Enumerable.Range(0, steps).Select(k => (k + 0.5f) / steps).ToArray(), device: model.Device)
            .repeat_interleave(batch).reshape(-1, 1, 1);  // [m·batch, 1, 1]
        Hook Interpolate(string name) => new(name, (embedding, _) =>
        {
            var from = targetCache[name].repeat(steps, 1, 1);
            var to = sourceCache[name].repeat(steps, 1, 1);
            return (from + alphas.to(from.dtype) * (to - from)).requires_grad_(true);  // a leaf: layer 0 reads nothing else that needs a gradient
        });
        var hooks = new List<Hook> { Interpolate("hook_embed") };
        if (model.pos_embed is not null)
            hooks.Add(Interpolate("hook_pos_embed"));
        using (model.Hooks(hooks))
        {
            var (_, cache) = model.RunWithCache(target.repeat(steps, 1), ReadNames(model.Cfg), includeBackward: true, backwardMetric: logits =>
            {
                var total = zeros(1, dtype: float32, device: logits.device);
                for (int k = 0; k < steps; k++)
                    total = total + PatchingInputs.PerRow(metric, logits[TensorIndex.Slice(k * batch, (k + 1) * batch)], batch).mean();
                return (total / steps).squeeze();
            });
            return cache;
        }
    }

    /// <summary>Upstream nodes and their writes (source − target), [U, batch·pos·d_model].</summary>
    private static (List<GraphNode> Nodes, Tensor Deltas) Writes(HookedTransformer model, ActivationCache target, IReadOnlyDictionary<string, Tensor> source)
    {
        var (nodes, writes) = NodeWrites(model, name => source[name] - target[name]);
        return (nodes, writes.reshape(nodes.Count, -1));
    }

    /// <summary>
    /// What each upstream node writes into the residual stream, [U, batch, pos, d_model], in graph order: the input
    /// (<c>hook_embed</c> + <c>hook_pos_embed</c>), then per layer each head (z_h·W_O[h]) and the MLP (<c>hook_mlp_out</c>).
    /// <paramref name="write"/> gives the value of a hook point of <see cref="WriteNames"/>.
    /// </summary>
    internal static (List<GraphNode> Nodes, Tensor Writes) NodeWrites(HookedTransformer model, Func<string, Tensor> write)
    {
        var cfg = model.Cfg;
        var nodes = new List<GraphNode> { GraphNode.Input };
        var input = model.pos_embed is null ? write("hook_embed") : write("hook_embed") + write("hook_pos_embed");  // [batch, pos, d_model]
        var rows = new List<Tensor> { input.unsqueeze(0) };
        for (int l = 0; l < cfg.NLayers; l++)
        {
            rows.Add(einsum("bphe,hed->hbpd", write($"blocks.{l}.attn.hook_z"), model.blocks[l].attn.W_O.detach()));  // [head, batch, pos, d_model]
            nodes.AddRange(Enumerable.Range(0, cfg.NHeads).Select(h => GraphNode.AttentionHead(l, h)));
            if (!cfg.AttnOnly)
            {
                rows.Add(write($"blocks.{l}.hook_mlp_out").unsqueeze(0));
                nodes.Add(GraphNode.Mlp(l));
            }
        }
        return (nodes, cat(rows, 0));
    }

    /// <summary>Downstream inputs and their gradients, [D, batch·pos·d_model] (summed over the IG steps).</summary>
    private static (List<(GraphNode Node, EdgeInput Input)> Nodes, Tensor Gradients) Reads(HookedTransformer model, ActivationCache cache, int steps)
    {
        var cfg = model.Cfg;
        int kvHeads = cfg.EffectiveKeyValueHeads;
        bool grouped = kvHeads != cfg.NHeads;
        Tensor Gradient(string name)
        {
            var g = cache[name + "_grad"];
            return steps <= 1 ? g : g.reshape([steps, g.shape[0] / steps, .. g.shape[1..]]).sum(0L);
        }
        Tensor PerHead(Tensor g) => g.permute(2, 0, 1, 3).reshape(g.shape[2], -1);  // [batch, pos, head, d] → [head, …]
        var nodes = new List<(GraphNode, EdgeInput)>();
        var rows = new List<Tensor>();
        for (int l = 0; l < cfg.NLayers; l++)
        {
            rows.Add(PerHead(Gradient($"blocks.{l}.hook_q_input")));
            nodes.AddRange(Enumerable.Range(0, cfg.NHeads).Select(h => (GraphNode.AttentionHead(l, h), EdgeInput.Query)));
            foreach (var (name, input) in new[] { ("hook_k_input", EdgeInput.Key), ("hook_v_input", EdgeInput.Value) })
            {
                rows.Add(PerHead(Gradient($"blocks.{l}.{name}")));
                nodes.AddRange(Enumerable.Range(0, kvHeads).Select(h => (grouped ? GraphNode.KeyValueHead(l, h) : GraphNode.AttentionHead(l, h), input)));
            }
            if (!cfg.AttnOnly)
            {
                rows.Add(Gradient($"blocks.{l}.hook_mlp_in").reshape(1, -1));
                nodes.Add((GraphNode.Mlp(l), EdgeInput.Mlp));
            }
        }
        rows.Add(Gradient($"blocks.{cfg.NLayers - 1}.hook_resid_post").reshape(1, -1));
        nodes.Add((GraphNode.Logits(cfg.NLayers), EdgeInput.Logits));
        return (nodes, cat(rows, 0));
    }

    /// <summary>When a node writes: input 0, heads of layer l 2l+1, the MLP of layer l 2l+2 (2l+1 in parallel blocks).</summary>
    internal static int WriteSlot(GraphNode node, HookedTransformerConfig cfg) => node.Kind switch
    {
        GraphNodeKind.Input => 0,
        GraphNodeKind.Mlp => 2 * node.Layer + (cfg.ParallelAttnMlp ? 1 : 2),
        _ => 2 * node.Layer + 1,
    };

    /// <summary>When an input is read: heads of layer l at 2l+1, the MLP of layer l at 2l+2 (2l+1 parallel), the logits last.</summary>
    internal static int ReadSlot(GraphNode node, EdgeInput input, HookedTransformerConfig cfg) => input switch
    {
        EdgeInput.Logits => 2 * cfg.NLayers + 3,
        EdgeInput.Mlp => 2 * node.Layer + (cfg.ParallelAttnMlp ? 1 : 2),
        _ => 2 * node.Layer + 1,
    };
}
