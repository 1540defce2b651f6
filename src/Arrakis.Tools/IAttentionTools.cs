using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// The attention tools (Arrakis <c>AttentionTools</c>, <c>@exp.use_tools("attention")</c>): what each head attends to on a
/// prompt, TransformerLens's head detector, and head ablation. See docs/tools/attention.md.
/// </summary>
/// <remarks>
/// The registry holds an unbound prototype; get the tool from a bench (<c>bench.Tools</c>, <c>[UseTools]</c>), which binds
/// it to the bench's model through <see cref="IModelTool"/>.
/// </remarks>
[Tool("attention")]
public interface IAttentionTools
{
    /// <summary>
    /// The attention patterns A[l, h, q, k] = softmax_k(q_{l,h}[q]·k_{l,h}[k]/√d_head + causal mask) of one prompt, as the
    /// forward pass computes them (<c>blocks.{l}.attn.hook_pattern</c>), with per-head summaries: mean over queries q ≥ 1 of
    /// the entropy −Σ_k A ln A, the attention to position 0 (BOS), to the query itself and to the previous position (Arrakis
    /// <c>attention_patterns(input_ids, layer_idx, head_idx)</c>, which took a softmax over rows of the weight matrices
    /// instead — not a pattern of any prompt).
    /// </summary>
    /// <param name="inputIds">Token ids [batch, pos] or [pos], pos ≥ 2.</param>
    /// <param name="batchIndex">Which sequence of the batch, in [0, batch).</param>
    /// <exception cref="ArgumentException">Empty or malformed <paramref name="inputIds"/>, or a single position.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchIndex"/> out of range.</exception>
    AttentionPatternsResult AttentionPatterns(Tensor inputIds, int batchIndex = 0);

    /// <summary>
    /// For every query position of head (<paramref name="layerIdx"/>, <paramref name="headIdx"/>), the
    /// <paramref name="numTokens"/> source positions it attends to most, with their tokens and weights (Arrakis
    /// <c>top_attended_ids(input_ids, layer_idx, head_idx, num_tokens=2)</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Layer, head, batch index out of range, or <paramref name="numTokens"/> &lt; 1.</exception>
    TopAttendedIdsResult TopAttendedIds(Tensor inputIds, int layerIdx, int headIdx, int numTokens = 2, int batchIndex = 0);

    /// <summary>
    /// TransformerLens's head detector (<c>detect_head</c>) with a named pattern: every head's score, [layer, head].
    /// Mul: Σ(A⊙D)/ΣA; Abs: 1 − Σ|A − D|/rows; per sequence, averaged over the batch. <paramref name="excludeBos"/> and
    /// <paramref name="excludeCurrentToken"/> zero A's column 0 and diagonal first (TL's options);
    /// <paramref name="matchedQueriesOnly"/> (not in TL) scores only the query rows in which D marks a key, so the mul
    /// score becomes the mean attention on the marked keys over those rows. <paramref name="heads"/> (TL's <c>heads</c>)
    /// scores only those heads; every other head scores −1, as in TL. Exact definitions: <see cref="HeadDetector"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Malformed input, fewer than 2 positions, or a pattern that marks no query with <paramref name="matchedQueriesOnly"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A head in <paramref name="heads"/> outside the model (names <c>heads</c>).</exception>
    HeadDetectionResult DetectHead(Tensor inputIds, HeadName headName, bool excludeBos = false, bool excludeCurrentToken = false,
        ErrorMeasure errorMeasure = ErrorMeasure.Mul, bool matchedQueriesOnly = false, IReadOnlyCollection<HeadIndex>? heads = null);

    /// <summary>
    /// <see cref="DetectHead(Tensor, HeadName, bool, bool, ErrorMeasure, bool, IReadOnlyCollection{HeadIndex})"/> with a detection pattern of the caller's:
    /// [pos, pos] shared by every sequence or [batch, pos, pos], lower-triangular (TL <c>detect_head(model, seq, detection_pattern)</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A pattern of the wrong shape or not lower-triangular.</exception>
    HeadDetectionResult DetectHead(Tensor inputIds, Tensor detectionPattern, bool excludeBos = false, bool excludeCurrentToken = false,
        ErrorMeasure errorMeasure = ErrorMeasure.Mul, bool matchedQueriesOnly = false, IReadOnlyCollection<HeadIndex>? heads = null);

    /// <summary>
    /// Head ablation (Arrakis <c>ablate_head</c>, which only returned zeroed weights): for each head, the metric with the
    /// head's output z_h (<c>hook_z</c>) replaced at every position by zero, its mean over the batch and positions, or its
    /// value on another sequence (<see cref="AblationKind"/>), everything downstream recomputed; heads run batched, up to
    /// 16 ablated copies of the batch per forward pass.
    /// </summary>
    /// <param name="inputIds">Token ids [batch, pos] or [pos].</param>
    /// <param name="kind">Zero, Mean or Resample.</param>
    /// <param name="heads">The heads to ablate, one at a time; <c>null</c> for all.</param>
    /// <param name="metric">(logits [batch, pos, d_vocab], tokens) → [batch], averaged; default mean log-probability of each next token.</param>
    /// <param name="resampleIds">For Resample: the input whose z replaces the clean one (same shape); default the next sequence of the batch.</param>
    /// <exception cref="ArgumentOutOfRangeException">A head out of range.</exception>
    /// <exception cref="ArgumentException">Malformed input, a head named twice, or resampling within a single sequence.</exception>
    HeadAblationResult AblateHeads(Tensor inputIds, AblationKind kind = AblationKind.Zero, IReadOnlyList<HeadIndex>? heads = null,
        Func<Tensor, Tensor, Tensor>? metric = null, Tensor? resampleIds = null);
}
