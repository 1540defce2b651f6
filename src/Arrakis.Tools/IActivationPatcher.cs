using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// The activation patcher: exact activation patching (TransformerLens <c>patching.py</c>, batched) and attribution
/// patching (AtP, AtP*, EAP, EAP-IG — first-order approximations, labelled so). See docs/tools/patching.md.
/// </summary>
/// <remarks>
/// Every method takes clean and corrupted token ids of one shape and a metric, logits [batch, pos, d_vocab] → one value
/// per batch row [batch], averaged over the batch. Denoising (TL's direction, the default here) runs the corrupted input
/// and patches in clean activations; noising the reverse. The family below is TL's <c>get_act_patch_*</c>, each a call
/// of <see cref="GenericActivationPatch"/> with TL's activation and axes. The registry holds an unbound prototype; get
/// the tool from a bench (<c>bench.Tools</c>, <c>[UseTools]</c>, a script's <c>Tools</c>).
/// </remarks>
[Tool("patching")]
public interface IActivationPatcher
{
    /// <summary>
    /// TL <c>generic_activation_patch</c>: one exact patch per combination of the axes' values — the activation at that
    /// layer and index set replaced by its value on the other input — with as many patched variants per forward pass as
    /// <paramref name="options"/>' memory budget allows (results equal one patch per pass).
    /// </summary>
    /// <param name="cleanIds">Clean token ids [batch, pos] or [pos].</param>
    /// <param name="corruptedIds">Corrupted token ids, the same shape.</param>
    /// <param name="metric">logits → [batch].</param>
    /// <param name="activationName">resid_pre, resid_mid, resid_post, attn_out, mlp_out, q, k, v, z, pattern, attn_scores, pre, post, ….</param>
    /// <param name="indexAxes">Layer first, then axes of that activation: pos, head (the key/value head for k and v), dest_pos, src_pos, neuron.</param>
    /// <param name="direction">Denoising (default) or noising.</param>
    /// <param name="options">Memory budget and cap of variants per pass.</param>
    /// <exception cref="ArgumentException">Inputs of different shapes, an unknown activation or axis, a metric that does not return [batch].</exception>
    PatchingTable GenericActivationPatch(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, string activationName,
        IReadOnlyList<PatchAxis> indexAxes, PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null);

    /// <summary>
    /// Attribution patching of the same grid (AtP, Nanda 2023): the first-order estimate baseline + Σ (a_source − a_target)·∂metric/∂a
    /// for every patch at once, from 2 forward passes and 1 backward pass. <b>Approximate</b>. With
    /// <see cref="AttributionOptions.QkFix"/> (q and k: the softmax recomputed exactly) and <see cref="AttributionOptions.GradDrop"/>
    /// (unsigned magnitudes, L more passes), AtP* of Kramár et al. 2024.
    /// </summary>
    PatchingTable AttributionPatch(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, string activationName,
        IReadOnlyList<PatchAxis> indexAxes, PatchDirection direction = PatchDirection.Denoising, AttributionOptions? options = null);

    /// <summary>
    /// Edge attribution patching (EAP, Syed et al. 2023): a score for every edge from the embeddings, each head's output and
    /// each MLP's output into each head's q/k/v input, each MLP's input and the logits, (w′_u − w_u)·∂metric/∂(input of v),
    /// from 2 forward passes and 1 backward pass; with <paramref name="integratedGradientSteps"/> ≥ 1, EAP-IG (Hanna et al.
    /// 2024). <b>Approximate</b>. Default direction: noising, as in the papers.
    /// </summary>
    EdgeAttributionTable EdgeAttributionPatch(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Noising, int integratedGradientSteps = 0);

    /// <summary>TL <c>get_act_patch_resid_pre</c>: [layer, pos].</summary>
    PatchingTable GetActPatchResidPre(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "resid_pre", [PatchAxis.Layer, PatchAxis.Pos], direction, options);

    /// <summary>TL <c>get_act_patch_resid_mid</c>: [layer, pos].</summary>
    PatchingTable GetActPatchResidMid(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "resid_mid", [PatchAxis.Layer, PatchAxis.Pos], direction, options);

    /// <summary>The residual stream leaving each block: [layer, pos].</summary>
    PatchingTable GetActPatchResidPost(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "resid_post", [PatchAxis.Layer, PatchAxis.Pos], direction, options);

    /// <summary>TL <c>get_act_patch_attn_out</c>: [layer, pos].</summary>
    PatchingTable GetActPatchAttnOut(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "attn_out", [PatchAxis.Layer, PatchAxis.Pos], direction, options);

    /// <summary>TL <c>get_act_patch_mlp_out</c>: [layer, pos].</summary>
    PatchingTable GetActPatchMlpOut(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "mlp_out", [PatchAxis.Layer, PatchAxis.Pos], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_out_all_pos</c>: each head's output z at every position: [layer, head].</summary>
    PatchingTable GetActPatchAttnHeadOutAllPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "z", [PatchAxis.Layer, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_out_by_pos</c>: [layer, pos, head].</summary>
    PatchingTable GetActPatchAttnHeadOutByPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "z", [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_q_all_pos</c>: [layer, head].</summary>
    PatchingTable GetActPatchAttnHeadQAllPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "q", [PatchAxis.Layer, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_k_all_pos</c>, by key/value head: [layer, kv_head].</summary>
    PatchingTable GetActPatchAttnHeadKAllPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "k", [PatchAxis.Layer, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_v_all_pos</c>, by key/value head: [layer, kv_head].</summary>
    PatchingTable GetActPatchAttnHeadVAllPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "v", [PatchAxis.Layer, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_pattern_all_pos</c>: [layer, head].</summary>
    PatchingTable GetActPatchAttnHeadPatternAllPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "pattern", [PatchAxis.Layer, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_q_by_pos</c>: [layer, pos, head].</summary>
    PatchingTable GetActPatchAttnHeadQByPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "q", [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_k_by_pos</c>, by key/value head: [layer, pos, kv_head].</summary>
    PatchingTable GetActPatchAttnHeadKByPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "k", [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_v_by_pos</c>, by key/value head: [layer, pos, kv_head].</summary>
    PatchingTable GetActPatchAttnHeadVByPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "v", [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_pattern_by_pos</c>: [layer, head, dest_pos].</summary>
    PatchingTable GetActPatchAttnHeadPatternByPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) => GenericActivationPatch(cleanIds, corruptedIds, metric, "pattern", [PatchAxis.Layer, PatchAxis.Head, PatchAxis.DestPos], direction, options);

    /// <summary>TL <c>get_act_patch_attn_head_pattern_dest_src_pos</c>: [layer, head, dest_pos, src_pos].</summary>
    PatchingTable GetActPatchAttnHeadPatternDestSrcPos(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, PatchDirection direction = PatchDirection.Denoising,
        PatchingOptions? options = null) =>
        GenericActivationPatch(cleanIds, corruptedIds, metric, "pattern", [PatchAxis.Layer, PatchAxis.Head, PatchAxis.DestPos, PatchAxis.SrcPos], direction, options);

    /// <summary>
    /// TL <c>get_act_patch_attn_head_all_pos_every</c>: z, q, k, v and pattern over all positions, in that order (k and v
    /// by key/value head; TL zero-pads them to stack).
    /// </summary>
    IReadOnlyList<PatchingTable> GetActPatchAttnHeadAllPosEvery(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null) =>
        new[] { "z", "q", "k", "v", "pattern" }.Select(name =>
            GenericActivationPatch(cleanIds, corruptedIds, metric, name, [PatchAxis.Layer, PatchAxis.Head], direction, options)).ToList();

    /// <summary>TL <c>get_act_patch_attn_head_by_pos_every</c>: z, q, k, v [layer, pos, head], then the pattern [layer, head, dest_pos].</summary>
    IReadOnlyList<PatchingTable> GetActPatchAttnHeadByPosEvery(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null)
    {
        var tables = new[] { "z", "q", "k", "v" }.Select(name =>
            GenericActivationPatch(cleanIds, corruptedIds, metric, name, [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head], direction, options)).ToList();
        tables.Add(GetActPatchAttnHeadPatternByPos(cleanIds, corruptedIds, metric, direction, options));
        return tables;
    }

    /// <summary>TL <c>get_act_patch_block_every</c>: resid_pre, attn_out, mlp_out by [layer, pos] (no mlp_out without MLPs).</summary>
    IReadOnlyList<PatchingTable> GetActPatchBlockEvery(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null);
}
