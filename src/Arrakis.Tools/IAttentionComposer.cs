using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// The attention composer (Arrakis seed 003, <c>@exp.use_tools("composer")</c>): how much one head's output feeds another
/// head's queries, keys or values — by weights (composition scores) and by intervention (path patching). See
/// docs/tools/composer.md.
/// </summary>
/// <remarks>
/// The registry holds an unbound prototype; get the tool from a bench (<c>bench.Tools</c>, <c>[UseTools]</c>), which binds
/// it to the bench's model through <see cref="IModelTool"/>.
/// </remarks>
[Tool("composer")]
public interface IAttentionComposer
{
    /// <summary>
    /// How writer <paramref name="head1"/> composes into reader <paramref name="head2"/> by weights (seed
    /// <c>head_composition(head1, head2, alpha=0.5)</c>): the Q-, K- and V-composition scores of A Mathematical Framework
    /// for Transformer Circuits, score(L, R) = ‖L·R‖_F / (‖L‖_F·‖R‖_F) ∈ [0, 1] with L = W_OV¹ = W_V¹W_O¹ and
    /// R = W_QK² = W_Q²W_K²ᵀ (Q), W_QK²ᵀ (K) or W_OV² (V), in the row-vector convention x·W; products are formed from the
    /// low-rank factors (FactoredMatrix). Beside them, the score of random Gaussian heads of the same shapes (≈ 1/√d_model),
    /// and — for the seed's <paramref name="alpha"/> — the "merged head" weights Arrakis returned, named as what they
    /// are: Arrakis's blend (W_Q, W_K, W_V averaged, W_O = α·W_O¹ + (1−α)·W_O²), not a composition measure.
    /// </summary>
    /// <param name="head1">The writer, e.g. <c>(0, 0)</c>.</param>
    /// <param name="head2">The reader, in a later layer than <paramref name="head1"/>.</param>
    /// <param name="alpha">The blend weight of the merged head's W_O, in [0, 1].</param>
    /// <remarks>Scores use the weights as they are; the reader's layer norm sits between the two heads, so call
    /// <c>ProcessWeights()</c> (fold_ln) first for scores on the effective weights. A circuit that is exactly zero
    /// composes with nothing: its score is 0 (not 0/0).</remarks>
    /// <exception cref="ArgumentOutOfRangeException">A head out of range (the message names both ranges), or <paramref name="alpha"/> outside [0, 1].</exception>
    /// <exception cref="ArgumentException"><paramref name="head2"/> is not in a later layer than <paramref name="head1"/> (the message names both heads).</exception>
    HeadCompositionResult HeadComposition(HeadIndex head1, HeadIndex head2, double alpha = 0.5);

    /// <summary>
    /// Path patching from sender <paramref name="head1"/> to receiver <paramref name="head2"/> (seed
    /// <c>attention_path_patching(input_ids, head1, head2)</c>; Wang et al. 2022, Goldowsky-Dill et al. 2023): the sender's
    /// output z is replaced by its mean over the batch and positions, z̄, only along the path into the receiver's
    /// <paramref name="through"/> input(s); every other path stays at its clean value. With every other component frozen,
    /// that shifts the receiver's input by exactly Δ = (z̄ − z)·W_O[head1], so the patched run is the clean run with Δ
    /// added to the receiver's chosen inputs (before its layer norm); effects downstream of the receiver flow freely.
    /// Reports the metric on the clean run, with the sender mean-ablated along every path, and path-patched, and the
    /// fraction of the effect the path carries, (clean − patched)/(clean − corrupted).
    /// </summary>
    /// <param name="inputIds">Clean token ids [batch, pos] or [pos].</param>
    /// <param name="head1">The sender.</param>
    /// <param name="head2">The receiver, in a later layer.</param>
    /// <param name="through">Which receiver inputs the path enters (Query, Key, Value or a combination; default all).</param>
    /// <param name="metric">(logits [batch, pos, d_vocab], clean tokens [batch, pos]) → [batch], averaged over the batch;
    /// default: mean log-probability of each next token.</param>
    /// <exception cref="ArgumentOutOfRangeException">A head out of range.</exception>
    /// <exception cref="ArgumentException">Pairs that cannot compose, or empty or malformed input.</exception>
    AttentionPathPatchingResult AttentionPathPatching(Tensor inputIds, HeadIndex head1, HeadIndex head2, PathInput through = PathInput.All,
        Func<Tensor, Tensor, Tensor>? metric = null);

    /// <summary>
    /// <see cref="AttentionPathPatching(Tensor, HeadIndex, HeadIndex, PathInput, Func{Tensor, Tensor, Tensor}?)"/> with an
    /// explicit corrupted input: z′ is the sender's output on <paramref name="corruptedIds"/>, and "corrupted" is the metric
    /// of the whole corrupted run (evaluated against the clean tokens).
    /// </summary>
    /// <param name="corruptedIds">Corrupted token ids of the same shape as <paramref name="inputIds"/>.</param>
    AttentionPathPatchingResult AttentionPathPatching(Tensor inputIds, HeadIndex head1, HeadIndex head2, Tensor corruptedIds,
        Func<Tensor, Tensor, Tensor>? metric = null, PathInput through = PathInput.All);

    /// <summary>
    /// Path patching from sender <paramref name="head1"/> into a set of receivers together, in one patched run: Δ is added
    /// to the chosen inputs of every receiver at once (Wang et al. patch into a whole class of heads, e.g. all name movers).
    /// Use it where several heads share one job — in a trained induction model, several induction heads read the same
    /// previous-token head, and the path into any one of them carries only part of the effect. Definitions otherwise as
    /// for one pair (mean ablation of the sender; fraction = (clean − patched)/(clean − corrupted)).
    /// </summary>
    /// <param name="inputIds">Clean token ids [batch, pos] or [pos].</param>
    /// <param name="head1">The sender.</param>
    /// <param name="receivers">One or more distinct heads, each in a later layer than <paramref name="head1"/>.</param>
    /// <param name="through">Which receiver inputs the path enters (default all).</param>
    /// <param name="metric">(logits, clean tokens) → [batch]; default: mean log-probability of each next token.</param>
    /// <exception cref="ArgumentOutOfRangeException">A head out of range.</exception>
    /// <exception cref="ArgumentException">No receivers, a receiver named twice, or one that cannot compose with the sender.</exception>
    AttentionPathPatchingResult AttentionPathPatching(Tensor inputIds, HeadIndex head1, IReadOnlyList<HeadIndex> receivers, PathInput through = PathInput.All,
        Func<Tensor, Tensor, Tensor>? metric = null);

    /// <summary>
    /// Path patching for many sender → receiver pairs at once, batched: each forward pass carries up to 16 patched variants
    /// of the input stacked along the batch, instead of one forward pass per pair. Definitions as for one pair; without
    /// <paramref name="corruptedIds"/> each sender is mean-ablated.
    /// </summary>
    /// <param name="pairs">(sender, receiver) pairs; every receiver in a later layer than its sender. Empty: every composable pair of the model.</param>
    AttentionPathPatchingTable AttentionPathPatching(Tensor inputIds, IReadOnlyList<(HeadIndex Sender, HeadIndex Receiver)> pairs, PathInput through = PathInput.All,
        Tensor? corruptedIds = null, Func<Tensor, Tensor, Tensor>? metric = null);

    /// <summary>
    /// Every writer → reader composition score of the model for one <paramref name="kind"/> (TL <c>all_composition_scores</c>):
    /// one entry per pair of heads with the reader in a later layer, largest first, with the random baseline.
    /// </summary>
    CompositionScoresResult AllCompositionScores(CompositionKind kind);
}
