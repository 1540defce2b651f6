using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// The residual decomposer (Arrakis seed 000, <c>@exp.use_tools("decomposer")</c>): what the MLPs read and write, and the
/// residual stream split exactly into the outputs of the components that wrote it — the factorized view of
/// A Mathematical Framework for Transformer Circuits (see docs/tools/decomposer.md).
/// </summary>
/// <remarks>
/// The registry holds an unbound prototype; get the tool from a bench (<c>bench.Tools</c>, <c>[UseTools]</c>), which binds
/// it to the bench's model through <see cref="IModelTool"/>.
/// </remarks>
[Tool("decomposer")]
public interface IResidualDecomposer
{
    /// <summary>
    /// The directions block <paramref name="layerIdx"/>'s MLP reads from and writes to the residual stream (seed
    /// <c>mlp_basis(layer_idx)</c>): the reduced SVD W_in = U S Vᵀ gives unit read directions U[:, i] ∈ ℝ^d_model
    /// (the MLP's pre-activations are x·W_in, so x·U[:, i] is the amount of the stream along read direction i, scaled by sᵢ);
    /// W_out = U′ S′ V′ᵀ gives unit write directions V′[:, i] ∈ ℝ^d_model (every MLP output is a combination of them).
    /// Gated MLPs report W_gate's read directions too. Explained variance of direction i is sᵢ² / Σⱼ sⱼ² (the share of
    /// ‖W‖²_F it carries).
    /// </summary>
    /// <param name="layerIdx">Block index in [0, n_layers).</param>
    /// <remarks>The MLP reads the stream after its layer norm (ln2): with unfolded norm weights, read directions live in
    /// the normalised space before ln2.w; call <c>ProcessWeights()</c> (fold_ln) first to fold ln2.w into W_in.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layerIdx"/> outside [0, n_layers).</exception>
    /// <exception cref="InvalidOperationException">Attention-only model (no MLP), or the tool is not bound to a model.</exception>
    MlpBasisResult MlpBasis(int layerIdx);

    /// <summary>
    /// The residual stream entering block <paramref name="layerIdx"/> (seed <c>decompose_residual(input_ids, layer_idx,
    /// top_k=10)</c>) — or leaving it with <paramref name="afterLayer"/> — split exactly into the vectors that were added
    /// to it: x = embed + pos_embed + Σ_{l, h} z_{l,h}·W_O[l, h] + Σ_l mlp_out_l (or, with <paramref name="perNeuron"/>,
    /// Σ_{l, n} post_{l,n}·W_out[l][n]) + bias, where bias is the sum of every b_O and b_out written so far. Nothing is
    /// approximated: there is one term per component output, not per path (the "residual expansion" over paths through
    /// non-linear components does not sum to the stream; see ../shared/seeds/004-*).
    /// Components are ranked at one position by their norm ‖cᵢ‖, or, given <paramref name="direction"/> d, by the size of
    /// their projection |cᵢ·d/‖d‖| (e.g. d = W_U[:, t], a token's unembedding).
    /// </summary>
    /// <param name="inputIds">Token ids [batch, pos] or [pos].</param>
    /// <param name="layerIdx">Block index in [0, n_layers).</param>
    /// <param name="topK">How many of the ranked components <see cref="ResidualDecompositionResult.Top"/> holds (at least 1).</param>
    /// <param name="afterLayer">Decompose the stream leaving the block (resid_post) instead of entering it (resid_pre).</param>
    /// <param name="perNeuron">One component per MLP neuron instead of one per MLP.</param>
    /// <param name="position">The position decomposed, in [−pos, pos); default the last.</param>
    /// <param name="direction">Rank by projection on this [d_model] vector instead of by norm.</param>
    /// <param name="batchIndex">Which sequence of the batch, in [0, batch).</param>
    /// <returns>All components with labels (<c>L0H3</c>, <c>L1N17</c> or <c>1_mlp_out</c>, <c>embed</c>, <c>pos_embed</c>,
    /// <c>bias</c>), their vectors, the top <paramref name="topK"/>, and the relative reconstruction error
    /// ‖Σᵢ cᵢ − x‖ / ‖x‖ (≤ 1e-4 in float32).</returns>
    /// <exception cref="ArgumentException">Empty or malformed <paramref name="inputIds"/>, or a <paramref name="direction"/> that is not [d_model].</exception>
    /// <exception cref="ArgumentOutOfRangeException">A layer, position, batch index, token id or <paramref name="topK"/> out of range (the message names it and its range).</exception>
    ResidualDecompositionResult DecomposeResidual(Tensor inputIds, int layerIdx, int topK = 10, bool afterLayer = false, bool perNeuron = false,
        int position = -1, Tensor? direction = null, int batchIndex = 0);
}
