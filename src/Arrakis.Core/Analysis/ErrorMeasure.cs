namespace Arrakis;

/// <summary>How <see cref="HeadDetector"/> compares an attention pattern A with a detection pattern D (TL <c>error_measure</c>).</summary>
public enum ErrorMeasure
{
    /// <summary>
    /// TL <c>"mul"</c> (its default): Σ(A ⊙ D) / Σ A — the fraction of the head's attention that falls on the pairs D
    /// marks (D of zeros and ones). Insensitive to how the attention is split among the marked keys.
    /// </summary>
    Mul,

    /// <summary>
    /// TL <c>"abs"</c>: 1 − Σ|A − D| / rows — one minus the mean L1 distance per query row, in (−1, 1]; 1 is a perfect match.
    /// Predicts exact weights (D may hold fractions). TransformerLens rounds the error to 3 decimals; this does not.
    /// </summary>
    Abs,
}
