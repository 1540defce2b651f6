using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// The logit attributor (Arrakis seed 002, <c>@exp.use_tools("logit")</c>): which components, and which input tokens,
/// a target logit comes from, and how the target token's logit builds up layer by layer (see docs/tools/logit.md).
/// </summary>
/// <remarks>
/// The registry holds an unbound prototype; get the tool from a bench (<c>bench.Tools</c>, <c>[UseTools]</c>), which binds
/// it to the bench's model through <see cref="IModelTool"/>.
/// </remarks>
[Tool("logit")]
public interface ILogitAttributor
{
    /// <summary>
    /// Explains the logit of vocabulary id <paramref name="targetIdx"/> at <paramref name="position"/> (seed
    /// <c>logit_attribution(input_ids, target_idx)</c>).
    /// <para>(a) Direct logit attribution: with the final norm's scale σ frozen at its value in this forward pass, the
    /// logit is linear in the final residual stream x = Σᵢ cᵢ, so attrᵢ = (cᵢ − mean(cᵢ))/σ · (W_U[:, t] ⊙ w_ln) (no
    /// centring for RMSNorm; cᵢ/1 · W_U[:, t] without a final norm), and Σᵢ attrᵢ = logit[t] − b_U[t] − b_ln·W_U[:, t]
    /// exactly (= logit − b_U after fold_ln). The components are those of
    /// <see cref="IResidualDecomposer.DecomposeResidual"/> of the final stream: heads, MLPs (or neurons), embed, pos_embed, bias.</para>
    /// <para>(b) Per input token: head h at query q writes Σ_s A_h[q, s]·(v_h[s]·W_O[h]), so its direct attribution splits
    /// exactly over source positions s: attr[h, s] = A_h[q, s]·(v_h[s]·W_O[h] − mean)/σ · (W_U[:, t] ⊙ w_ln) (attention
    /// weight × value path); Σ_s attr[h, s] = attr_h. Summed over heads it gives each source token's direct effect
    /// through attention. Embeddings, MLPs and biases act at the query position only and are not split.</para>
    /// <para>Optionally (<paramref name="gradientTimesEmbedding"/>), a first-order approximation: for each position p,
    /// ∂logit/∂e_p · e_p with e_p the token embedding — a Taylor term around zero embedding, not exact, labelled so.</para>
    /// </summary>
    /// <param name="inputIds">Token ids [batch, pos] or [pos].</param>
    /// <param name="targetIdx">The vocabulary id whose logit is explained, in [0, d_vocab).</param>
    /// <param name="position">The query position whose logit is explained, in [−pos, pos); default the last.</param>
    /// <param name="batchIndex">Which sequence of the batch, in [0, batch).</param>
    /// <param name="perNeuron">Attribute to each MLP neuron instead of each whole MLP.</param>
    /// <param name="gradientTimesEmbedding">Also compute the approximate gradient × embedding attribution (one extra forward and backward pass).</param>
    /// <exception cref="ArgumentException">Empty or malformed <paramref name="inputIds"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetIdx"/> outside the vocabulary, or a position or batch index out of range (the message names it and its range).</exception>
    LogitAttributionResult LogitAttribution(Tensor inputIds, long targetIdx, int position = -1, int batchIndex = 0, bool perNeuron = false,
        bool gradientTimesEmbedding = false);

    /// <summary>
    /// Follows token <paramref name="targetToken"/> through the first <paramref name="nLayers"/> layers at
    /// <paramref name="position"/> (seed <c>track_token_circulation(input_ids, target_token, n_layers=5)</c>). For each
    /// layer l: the logit lens of the accumulated residual x_l = resid_post[l] — lens logit LN_final(x_l)·W_U[:, t] + b_U[t]
    /// with the final norm's statistics recomputed on x_l, its softmax probability and its rank among all tokens — and
    /// the layer's direct moves: the direct logit attributions (frozen final scale, as in <see cref="LogitAttribution"/>)
    /// of its attention output and of its MLP output. The moves of all layers plus the embeddings' and biases'
    /// attributions sum to the final logit minus its bias; lens values are not additive (the lens renormalises).
    /// </summary>
    /// <param name="inputIds">Token ids [batch, pos] or [pos].</param>
    /// <param name="targetToken">The vocabulary id to follow, in [0, d_vocab).</param>
    /// <param name="nLayers">How many layers from the first, at least 1; capped at the model's depth.</param>
    /// <param name="position">The position followed, in [−pos, pos); default the last.</param>
    /// <param name="batchIndex">Which sequence of the batch, in [0, batch).</param>
    /// <exception cref="ArgumentException">Empty or malformed <paramref name="inputIds"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetToken"/> outside the vocabulary, <paramref name="nLayers"/> &lt; 1, or a position or batch index out of range.</exception>
    TokenCirculationResult TrackTokenCirculation(Tensor inputIds, long targetToken, int nLayers = 5, int position = -1, int batchIndex = 0);
}
