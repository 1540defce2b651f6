using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>Per-head and per-neuron contributions to the residual stream, optionally projected and frozen-LN scaled.</summary>
public sealed partial class ActivationCache
{
    /// <summary>
    /// Adds <c>blocks.{l}.attn.hook_result</c> [batch, pos, head, d_model] for every layer, computed as
    /// result_h = z_h · W_O[h] from the cached <c>hook_z</c> (TL <c>compute_head_results</c>). Does nothing when present.
    /// </summary>
    public void ComputeHeadResults()
    {
        for (int l = 0; l < Model.Cfg.NLayers; l++)
        {
            string key = $"blocks.{l}.attn.hook_result";
            if (_tensors.ContainsKey(key))
                continue;
            var result = einsum("...he,hed->...hd", this[$"blocks.{l}.attn.hook_z"], Model.blocks[l].attn.W_O.detach());
            _tensors[key] = result.DetachFromDisposeScope();
            _order.Add(key);
        }
    }

    /// <summary>
    /// Every head's output up to <paramref name="layer"/>, labels <c>L{l}H{h}</c> (TL <c>stack_head_results</c>);
    /// with <paramref name="inclRemainder"/> a final <c>remainder</c> = (stream entering <paramref name="layer"/>) − Σ heads: embeddings, MLPs and biases.
    /// </summary>
    /// <returns>[layer·n_heads (+1), *batch_and_pos_dims, d_model].</returns>
    public LabeledStack StackHeadResults(int? layer = null, bool inclRemainder = false, Slice? posSlice = null, bool applyLn = false)
    {
        int upTo = ResolveStackLayer(layer);
        posSlice ??= Slice.All;
        using var scope = NewDisposeScope();
        var (heads, labels) = HeadComponents(upTo, posSlice, projection: null, lnLayer: null, mlpInput: false);
        if (inclRemainder)
        {
            var total = posSlice.Apply(ResidualEntering(upTo), -2);
            heads = cat([heads, (total - heads.sum(0L)).unsqueeze(0)], 0);
            labels.Add("remainder");
        }
        if (applyLn)
            heads = ApplyLnToStack(heads, upTo, posSlice: posSlice);
        return new LabeledStack(heads.MoveToOuterDisposeScope(), labels);
    }

    /// <summary>
    /// Each neuron's contribution to the residual stream in <paramref name="layer"/>: post_n · W_out[n] (TL
    /// <c>get_neuron_results</c>). With <paramref name="projectOutputOnto"/> ([d_model] or [d_model, k]), the contributions
    /// are projected without materialising d_model per neuron.
    /// </summary>
    /// <returns>[*batch_and_pos_dims, neuron, d_model], or [..., neuron] / [..., neuron, k] when projected.</returns>
    public Tensor GetNeuronResults(int layer, Slice? neuronSlice = null, Slice? posSlice = null, Tensor? projectOutputOnto = null)
    {
        int l = Model.LayerIndex(layer, nameof(layer));
        var mlp = Model.blocks[l].mlp ?? throw new InvalidOperationException("This model is attention-only: it has no neurons.");
        neuronSlice ??= Slice.All;
        posSlice ??= Slice.All;
        using var scope = NewDisposeScope();
        var post = neuronSlice.Apply(posSlice.Apply(this[ActNames.GetActName("post", l)], -2), -1);  // [..., neuron]
        var wOut = neuronSlice.Apply(mlp.W_out.detach(), 0);                                            // [neuron, d_model]
        if (neuronSlice.RemovesDimension)
        {
            post = post.unsqueeze(-1);
            wOut = wOut.unsqueeze(0);
        }
        Tensor result = projectOutputOnto is null
            ? post.unsqueeze(-1) * wOut
            : projectOutputOnto.dim() == 1 ? post * wOut.matmul(projectOutputOnto) : post.unsqueeze(-1) * wOut.matmul(projectOutputOnto);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Every neuron's contribution up to <paramref name="layer"/>, labels <c>L{l}N{n}</c> (TL <c>stack_neuron_results</c>).
    /// With <paramref name="projectOutputOnto"/> and <paramref name="applyLn"/> together, the frozen layer norm is applied
    /// analytically — (post_n/scale)·(W_out[n]·p − mean(W_out[n])·Σp) for LayerNorm — so memory stays O(neurons × positions).
    /// </summary>
    public LabeledStack StackNeuronResults(int? layer = null, Slice? posSlice = null, Slice? neuronSlice = null, bool inclRemainder = false,
        bool applyLn = false, Tensor? projectOutputOnto = null)
    {
        int upTo = ResolveStackLayer(layer);
        posSlice ??= Slice.All;
        neuronSlice ??= Slice.All;
        using var scope = NewDisposeScope();
        var projection = Projection(projectOutputOnto);
        var (neurons, labels) = NeuronComponents(upTo, posSlice, neuronSlice, projection, applyLn ? upTo : null, mlpInput: false);
        if (inclRemainder)
        {
            var total = posSlice.Apply(ResidualEntering(upTo), -2).unsqueeze(0);
            if (applyLn)
                total = ApplyLnToStack(total, upTo, posSlice: posSlice);
            if (projection is not null)
                total = total.matmul(projection);
            neurons = cat([neurons, total - neurons.sum(0, keepdim: true)], 0);
            labels.Add("remainder");
        }
        if (applyLn && projection is null)
            neurons = ApplyLnToStack(neurons, upTo, posSlice: posSlice);
        if (projectOutputOnto?.dim() == 1)
            neurons = neurons.squeeze(-1);
        return new LabeledStack(neurons.MoveToOuterDisposeScope(), labels);
    }

    /// <summary>
    /// The residual stream entering block <paramref name="layer"/> (its MLP with <paramref name="mlpInput"/>) as the sum of
    /// every head, every neuron (or every MLP with <paramref name="expandNeurons"/> false), <c>embed</c>, <c>pos_embed</c>
    /// and <c>bias</c> (all biases written so far) — the factorized view, exact by construction (TL
    /// <c>get_full_resid_decomposition</c>). <paramref name="projectOutputOnto"/> ([d_model] or [d_model, k]) is applied per
    /// component before stacking, so memory is O(components × positions × k), never × d_model.
    /// </summary>
    /// <returns>[components, *batch_and_pos_dims, d_model] (or k, or nothing when projecting on a vector).</returns>
    public LabeledStack GetFullResidDecomposition(int? layer = null, bool mlpInput = false, bool expandNeurons = true, bool applyLn = false,
        Slice? posSlice = null, Tensor? projectOutputOnto = null)
    {
        int upTo = ResolveStackLayer(layer);
        posSlice ??= Slice.All;
        var cfg = Model.Cfg;
        bool readsMid = mlpInput && upTo < cfg.NLayers && !cfg.ParallelAttnMlp && !cfg.AttnOnly;
        using var scope = NewDisposeScope();
        var projection = Projection(projectOutputOnto);
        int? lnLayer = applyLn ? upTo : null;

        var (heads, labels) = HeadComponents(upTo + (readsMid ? 1 : 0), posSlice, projection, lnLayer, mlpInput);
        var parts = new List<Tensor> { heads };
        if (!cfg.AttnOnly && upTo > 0)
        {
            if (expandNeurons)
            {
                var (neurons, neuronLabels) = NeuronComponents(upTo, posSlice, Slice.All, projection, lnLayer, mlpInput);
                parts.Add(neurons);
                labels.AddRange(neuronLabels);
            }
            else
            {
                for (int l = 0; l < upTo; l++)
                {
                    parts.Add(Finish(posSlice.Apply(this[ActNames.GetActName("mlp_out", l)], -2).unsqueeze(0), projection, lnLayer, mlpInput, posSlice));
                    labels.Add($"{l}_mlp_out");
                }
            }
        }
        parts.Add(Finish(posSlice.Apply(this["hook_embed"], -2).unsqueeze(0), projection, lnLayer, mlpInput, posSlice));
        labels.Add("embed");
        if (Model.pos_embed is not null)
        {
            parts.Add(Finish(posSlice.Apply(this["hook_pos_embed"], -2).unsqueeze(0), projection, lnLayer, mlpInput, posSlice));
            labels.Add("pos_embed");
        }
        var bias = Model.AccumulatedBias(upTo, readsMid, includeMlpBiases: expandNeurons).to(heads.device);
        var shape = posSlice.Apply(this["hook_embed"], -2).shape;
        parts.Add(Finish(bias.expand(shape).unsqueeze(0), projection, lnLayer, mlpInput, posSlice));
        labels.Add("bias");

        var stackTensor = cat(parts.ToArray(), 0);
        if (projectOutputOnto?.dim() == 1)
            stackTensor = stackTensor.squeeze(-1);
        return new LabeledStack(stackTensor.MoveToOuterDisposeScope(), labels);
    }

    /// <summary>Stacks one activation over layers [0, layer) (TL <c>stack_activation</c>), e.g. <c>("pattern")</c> → [layers, batch, head, q, k].</summary>
    public Tensor StackActivation(string activationName, int? layer = null, string? sublayerType = null)
    {
        int upTo = ResolveStackLayer(layer);
        return stack(Enumerable.Range(0, upTo).Select(l => this[ActNames.GetActName(activationName, l, sublayerType)]).ToArray());
    }

    /// <summary>The residual stream entering block <paramref name="layer"/> (resid_post of the last block at n_layers).</summary>
    private Tensor ResidualEntering(int layer) =>
        layer == Model.Cfg.NLayers ? this[ActNames.GetActName("resid_post", layer - 1)] : this[ActNames.GetActName("resid_pre", layer)];

    /// <summary>[d_model] → [d_model, 1]; [d_model, k] unchanged; checks d_model.</summary>
    private Tensor? Projection(Tensor? projection)
    {
        if (projection is null)
            return null;
        if (projection.dim() is not (1 or 2) || projection.shape[0] != Model.Cfg.DModel)
            throw new ArgumentException($"projectOutputOnto has shape [{string.Join(", ", projection.shape)}]; expected [{Model.Cfg.DModel}] or [{Model.Cfg.DModel}, k].", "projectOutputOnto");
        return (projection.dim() == 1 ? projection.unsqueeze(-1) : projection).to(Model.Cfg.Dtype);
    }

    /// <summary>Frozen LN (if <paramref name="lnLayer"/>) then projection (if any) of a small stack [c, ..., d_model].</summary>
    private Tensor Finish(Tensor stackTensor, Tensor? projection, int? lnLayer, bool mlpInput, Slice posSlice)
    {
        if (lnLayer is { } ln)
            stackTensor = ApplyLnToStack(stackTensor, ln, mlpInput, posSlice);
        return projection is null ? stackTensor : stackTensor.matmul(projection);
    }

    /// <summary>
    /// Heads of layers [0, upTo) as [upTo·heads, ..., d_model or k]: result_h = z_h·W_O[h], or — projected — z_h·(W_O[h]·p),
    /// with frozen LN applied analytically: (z_h·(W_O[h]·p − mean_d(W_O[h])·Σp)) / scale.
    /// </summary>
    private (Tensor Stack, List<string> Labels) HeadComponents(int upTo, Slice posSlice, Tensor? projection, int? lnLayer, bool mlpInput)
    {
        var labels = new List<string>();
        var parts = new List<Tensor>();
        for (int l = 0; l < upTo; l++)
        {
            var z = posSlice.Apply(this[ActNames.GetActName("z", l)], -3);  // [..., head, d_head]
            var wO = Model.blocks[l].attn.W_O.detach();                      // [head, d_head, d_model]
            Tensor perHead;
            if (projection is null)
            {
                perHead = einsum("...he,hed->...hd", z, wO);
                if (lnLayer is not null)
                    perHead = ApplyLnToStack(MoveHeadFirst(perHead), lnLayer, mlpInput, posSlice).movedim([0L], [-2L]);
            }
            else
            {
                var linear = wO.matmul(projection);  // [head, d_head, k]
                if (lnLayer is not null && Model.Cfg.NormCenters)
                    linear = linear - wO.mean([-1L]).unsqueeze(-1) * projection.sum(0L);
                perHead = einsum("...he,hek->...hk", z, linear);
                if (lnLayer is { } ln && Model.Cfg.Normalization != NormalizationType.None)
                    perHead = perHead / posSlice.Apply(CachedScale(ln, mlpInput), -2).unsqueeze(-2);
            }
            parts.Add(MoveHeadFirst(perHead));
            labels.AddRange(Enumerable.Range(0, Model.Cfg.NHeads).Select(h => $"L{l}H{h}"));
        }
        return (parts.Count == 0 ? EmptyStack(posSlice, projection) : cat(parts.ToArray(), 0), labels);
    }

    /// <summary>Neurons of layers [0, upTo) as [neurons, ..., d_model or k], analytic frozen LN when projected.</summary>
    private (Tensor Stack, List<string> Labels) NeuronComponents(int upTo, Slice posSlice, Slice neuronSlice, Tensor? projection, int? lnLayer, bool mlpInput)
    {
        var labels = new List<string>();
        var parts = new List<Tensor>();
        long[] neuronIds = neuronSlice.IndicesIn(Model.Cfg.DMlp);
        for (int l = 0; l < upTo; l++)
        {
            var mlp = Model.blocks[l].mlp!;
            var post = posSlice.Apply(this[ActNames.GetActName("post", l)], -2);  // [..., d_mlp]
            var wOut = mlp.W_out.detach();                                         // [d_mlp, d_model]
            if (!ReferenceEquals(neuronSlice, Slice.All))
            {
                var ids = tensor(neuronIds, device: post.device);
                post = post.index_select(-1, ids);
                wOut = wOut.index_select(0, ids);
            }
            Tensor perNeuron;
            if (projection is null)
            {
                perNeuron = post.unsqueeze(-1) * wOut;  // [..., neuron, d_model]
                if (lnLayer is not null)
                    perNeuron = ApplyLnToStack(MoveHeadFirst(perNeuron), lnLayer, mlpInput, posSlice).movedim([0L], [-2L]);
            }
            else
            {
                var linear = wOut.matmul(projection);  // [neuron, k]
                if (lnLayer is not null && Model.Cfg.NormCenters)
                    linear = linear - wOut.mean([-1L]).unsqueeze(-1) * projection.sum(0L);
                var scaled = post;
                if (lnLayer is { } ln && Model.Cfg.Normalization != NormalizationType.None)
                    scaled = post / posSlice.Apply(CachedScale(ln, mlpInput), -2);
                perNeuron = scaled.unsqueeze(-1) * linear;  // [..., neuron, k]
            }
            parts.Add(MoveHeadFirst(perNeuron));
            labels.AddRange(neuronIds.Select(n => $"L{l}N{n}"));
        }
        return (parts.Count == 0 ? EmptyStack(posSlice, projection) : cat(parts.ToArray(), 0), labels);
    }

    /// <summary>A stack of no components with the shape the non-empty one would have: [0, *batch_and_pos_dims, d_model or k].</summary>
    private Tensor EmptyStack(Slice posSlice, Tensor? projection)
    {
        var embed = this["hook_embed"];
        var shape = posSlice.Apply(embed, -2).shape.ToArray();
        if (projection is not null)
            shape[^1] = projection.shape[1];
        return zeros(new[] { 0L }.Concat(shape).ToArray(), dtype: Model.Cfg.Dtype, device: embed.device);
    }

    /// <summary>[..., component, last] → [component, ..., last].</summary>
    private static Tensor MoveHeadFirst(Tensor t) => t.movedim([-2L], [0L]);
}
