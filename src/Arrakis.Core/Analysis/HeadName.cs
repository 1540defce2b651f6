namespace Arrakis;

/// <summary>
/// The detection patterns TransformerLens's head detector knows by name (TL <c>head_detector.HeadName</c>:
/// <c>"previous_token_head"</c>, <c>"duplicate_token_head"</c>, <c>"induction_head"</c>). See <see cref="HeadDetector"/>.
/// </summary>
public enum HeadName
{
    /// <summary>D[q, k] = 1 iff k = q − 1.</summary>
    PreviousTokenHead,

    /// <summary>D[q, k] = 1 iff k &lt; q and token[k] = token[q] (an earlier copy of the current token).</summary>
    DuplicateTokenHead,

    /// <summary>D[q, k] = 1 iff 1 ≤ k ≤ q and token[k − 1] = token[q], k − 1 &lt; q (the token after an earlier copy of the current token).</summary>
    InductionHead,
}
