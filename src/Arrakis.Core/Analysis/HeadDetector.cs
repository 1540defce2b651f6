using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// TransformerLens's head detector (<c>transformer_lens.head_detector.detect_head</c>): how well each head's attention
/// pattern A[q, k] (<c>hook_pattern</c>) matches a detection pattern D[q, k] — one of the named ones
/// (<see cref="HeadName"/>) built from the tokens, or any lower-triangular pattern of the caller's.
/// </summary>
/// <remarks>
/// <para>Per sequence, with the excluded entries of A (column 0 for <c>excludeBos</c>, the diagonal for
/// <c>excludeCurrentToken</c>) set to zero:</para>
/// <para><see cref="ErrorMeasure.Mul"/>: score = Σ_{q,k} A[q,k]·D[q,k] / Σ_{q,k} A[q,k];
/// <see cref="ErrorMeasure.Abs"/>: score = 1 − Σ_{q,k} |A[q,k] − D[q,k]| / rows (excluded entries count as no error).
/// The scores of the sequences of a batch are averaged (TL averages over a list of prompts the same way).</para>
/// <para><c>matchedQueriesOnly</c> (not in TransformerLens) restricts both sums, and <c>rows</c>, to the query rows in which
/// D marks at least one key. Every other row then stops diluting the score: for the previous-token pattern on n positions,
/// TL's mul score is (n − 1)/n × the mean over q ≥ 1 of A[q, q − 1]; on a sequence repeated twice, TL's induction score is
/// about half the mean attention from the repeated half to the token after the earlier occurrence, because the first
/// half's rows mark nothing. With <c>matchedQueriesOnly</c> (and no exclusion), the mul score is exactly that mean
/// attention over the marked rows, since every row of A sums to 1.</para>
/// <para>Grouped-query attention needs nothing special: <c>hook_pattern</c> holds one pattern per query head, so every
/// query head is scored, whichever key/value head it shares.</para>
/// </remarks>
public static class HeadDetector
{
    /// <summary>
    /// TL <c>get_previous_token_head_detection_pattern</c>: D[b, q, k] = 1 iff k = q − 1. [batch, pos, pos] float32 on the tokens' device.
    /// </summary>
    public static Tensor PreviousTokenHeadDetectionPattern(Tensor tokens)
    {
        var ids = Batched(tokens);
        long pos = ids.shape[1];
        using var scope = NewDisposeScope();
        var eye = ones(pos - 1, dtype: float32, device: ids.device).diag(-1);   // [pos, pos], ones just below the diagonal
        return eye.expand(ids.shape[0], pos, pos).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// TL <c>get_duplicate_token_head_detection_pattern</c>: D[b, q, k] = 1 iff k &lt; q and tokens[b, k] = tokens[b, q].
    /// [batch, pos, pos] float32.
    /// </summary>
    public static Tensor DuplicateTokenHeadDetectionPattern(Tensor tokens)
    {
        var ids = Batched(tokens);
        using var scope = NewDisposeScope();
        var same = ids.unsqueeze(2).eq(ids.unsqueeze(1)).to(float32);   // [batch, q, k]
        return same.tril(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// TL <c>get_induction_head_detection_pattern</c>: the duplicate-token pattern shifted one key to the right,
    /// D[b, q, k] = 1 iff 1 ≤ k ≤ q and tokens[b, k − 1] = tokens[b, q] with k − 1 &lt; q. [batch, pos, pos] float32.
    /// </summary>
    public static Tensor InductionHeadDetectionPattern(Tensor tokens)
    {
        var ids = Batched(tokens);
        using var scope = NewDisposeScope();
        var duplicate = DuplicateTokenHeadDetectionPattern(ids);                           // [batch, q, k]
        var shifted = nn.functional.pad(duplicate[.., .., ..^1], [1L, 0L]);                 // D[q, k] = dup[q, k − 1], D[q, 0] = 0
        return shifted.tril().MoveToOuterDisposeScope();
    }

    /// <summary>The named detection pattern of <paramref name="tokens"/>: [batch, pos, pos] float32.</summary>
    public static Tensor DetectionPattern(HeadName headName, Tensor tokens) => headName switch
    {
        HeadName.PreviousTokenHead => PreviousTokenHeadDetectionPattern(tokens),
        HeadName.DuplicateTokenHead => DuplicateTokenHeadDetectionPattern(tokens),
        HeadName.InductionHead => InductionHeadDetectionPattern(tokens),
        _ => throw new ArgumentOutOfRangeException(nameof(headName), headName, $"headName is {headName}; expected one of {string.Join(", ", Enum.GetNames<HeadName>())}."),
    };

    /// <summary>
    /// TL <c>detect_head(model, seq, head_name, …)</c>: every head's score for the named pattern on <paramref name="tokens"/>.
    /// </summary>
    /// <returns>[n_layers, n_heads] float64 on the CPU; heads not in <paramref name="heads"/> score −1 (as in TL).</returns>
    public static Tensor Detect(HookedTransformer model, Tensor tokens, HeadName headName, bool excludeBos = false, bool excludeCurrentToken = false,
        ErrorMeasure errorMeasure = ErrorMeasure.Mul, bool matchedQueriesOnly = false, IReadOnlyCollection<HeadIndex>? heads = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var ids = Batched(tokens).to(model.Device);
        var detection = DetectionPattern(headName, ids);
        return Detect(model, ids, detection, excludeBos, excludeCurrentToken, errorMeasure, matchedQueriesOnly, heads).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// TL <c>detect_head(model, seq, detection_pattern, …)</c>: every head's score for a detection pattern of the
    /// caller's, [pos, pos] (shared by every sequence) or [batch, pos, pos], lower-triangular.
    /// </summary>
    /// <returns>[n_layers, n_heads] float64 on the CPU; heads not in <paramref name="heads"/> score −1 (as in TL).</returns>
    /// <exception cref="ArgumentException">The pattern's shape does not fit the tokens, it is not lower-triangular, or (with <paramref name="matchedQueriesOnly"/>) it marks no query.</exception>
    public static Tensor Detect(HookedTransformer model, Tensor tokens, Tensor detectionPattern, bool excludeBos = false, bool excludeCurrentToken = false,
        ErrorMeasure errorMeasure = ErrorMeasure.Mul, bool matchedQueriesOnly = false, IReadOnlyCollection<HeadIndex>? heads = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(detectionPattern);
        var cfg = model.Cfg;
        foreach (var head in heads ?? [])
            head.Validate(cfg, nameof(heads));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = Batched(tokens).to(model.Device);
        var detection = CheckedPattern(detectionPattern, ids.shape[0], ids.shape[1]).to(model.Device);
        var names = Enumerable.Range(0, cfg.NLayers).Select(l => $"blocks.{l}.attn.hook_pattern").ToList();
        var (_, cache) = model.RunWithCache(ids, names);
        using (cache)
        {
            var scores = stack(names.Select(name => Score(cache[name], detection, excludeBos, excludeCurrentToken, errorMeasure, matchedQueriesOnly)).ToArray())
                .to(float64).cpu();   // [n_layers, n_heads]
            if (heads is not null)
            {
                var chosen = new bool[cfg.NLayers * cfg.NHeads];
                foreach (var head in heads)
                    chosen[head.Layer * cfg.NHeads + head.Head] = true;
                var keep = tensor(chosen, device: scores.device).reshape(cfg.NLayers, cfg.NHeads);
                scores = where(keep, scores, full_like(scores, -1.0));
            }
            return scores.MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// The score of each head of one layer (TL <c>compute_head_attention_similarity_score</c>, batched): see the class remarks.
    /// </summary>
    /// <param name="pattern">Attention patterns [batch, head, q, k] (rows sum to 1).</param>
    /// <param name="detectionPattern">[q, k] or [batch, q, k], on the pattern's device.</param>
    /// <param name="excludeBos">Ignore attention to position 0.</param>
    /// <param name="excludeCurrentToken">Ignore attention to the query's own position.</param>
    /// <param name="errorMeasure">Mul or Abs.</param>
    /// <param name="matchedQueriesOnly">Score only the query rows in which the detection pattern marks a key.</param>
    /// <returns>[head], the mean over the batch of each sequence's score.</returns>
    public static Tensor Score(Tensor pattern, Tensor detectionPattern, bool excludeBos = false, bool excludeCurrentToken = false,
        ErrorMeasure errorMeasure = ErrorMeasure.Mul, bool matchedQueriesOnly = false)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.dim() != 4 || pattern.shape[2] != pattern.shape[3])
            throw new ArgumentException($"pattern has shape [{string.Join(", ", pattern.shape)}]; expected attention patterns [batch, head, pos, pos].", nameof(pattern));
        using var scope = NewDisposeScope();
        long pos = pattern.shape[2];
        var detection = CheckedPattern(detectionPattern, pattern.shape[0], pos).to(pattern.device).to(pattern.dtype).unsqueeze(1);   // [batch, 1, q, k]
        var keep = ones(pos, pos, dtype: pattern.dtype, device: pattern.device);   // [q, k]: 0 where excluded
        if (excludeBos) keep[.., 0] = 0;
        if (excludeCurrentToken) keep = keep * (1 - eye(pos, dtype: pattern.dtype, device: pattern.device));
        var rows = matchedQueriesOnly
            ? detection.sum(-1).gt(0).to(pattern.dtype)                        // [batch, 1, q]: rows D marks
            : ones(pattern.shape[0], 1, pos, dtype: pattern.dtype, device: pattern.device);
        var rowCount = rows.sum(-1);                                           // [batch, 1]
        if (matchedQueriesOnly && rowCount.eq(0).any().item<bool>())
            throw new ArgumentException("detectionPattern marks no key in any query row of some sequence, so matchedQueriesOnly leaves nothing to score; expected at least one 1 per sequence.", nameof(detectionPattern));
        var weight = keep * rows.unsqueeze(-1);                                // [batch, 1, q, k]
        Tensor perSequence;                                                    // [batch, head]
        if (errorMeasure == ErrorMeasure.Mul)
        {
            var attention = pattern * weight;
            perSequence = (attention * detection).sum([2L, 3L]) / attention.sum([2L, 3L]);
        }
        else if (errorMeasure == ErrorMeasure.Abs)
        {
            perSequence = 1 - ((pattern - detection).abs() * weight).sum([2L, 3L]) / rowCount;
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(errorMeasure), errorMeasure, $"errorMeasure is {errorMeasure}; expected Mul or Abs.");
        }
        return perSequence.mean([0L]).MoveToOuterDisposeScope();
    }

    private static Tensor Batched(Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = tokens.dim() == 1 ? tokens.unsqueeze(0) : tokens;
        if (ids.dim() != 2 || ids.shape[1] < 2)
            throw new ArgumentException($"tokens has shape [{string.Join(", ", tokens.shape)}]; expected token ids [batch, pos] or [pos] with pos ≥ 2 (a head detector compares positions).", nameof(tokens));
        return ids;
    }

    /// <summary>The detection pattern as [batch or 1, pos, pos], checked for shape and lower-triangularity.</summary>
    private static Tensor CheckedPattern(Tensor? detectionPattern, long batch, long pos)
    {
        ArgumentNullException.ThrowIfNull(detectionPattern);
        var d = detectionPattern.dim() == 2 ? detectionPattern.unsqueeze(0) : detectionPattern;
        if (d.dim() != 3 || d.shape[1] != pos || d.shape[2] != pos || (d.shape[0] != 1 && d.shape[0] != batch))
            throw new ArgumentException(
                $"detectionPattern has shape [{string.Join(", ", detectionPattern.shape)}]; expected [{pos}, {pos}] or [{batch}, {pos}, {pos}] (query × key positions of the tokens).",
                nameof(detectionPattern));
        if (!d.is_floating_point()) d = d.to(float32);
        if (d.triu(1).ne(0).any().item<bool>())
            throw new ArgumentException("detectionPattern is not lower-triangular: it marks a key after its query, which causal attention never reaches; expected zeros above the diagonal.", nameof(detectionPattern));
        return d;
    }
}
