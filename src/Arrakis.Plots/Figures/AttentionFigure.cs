namespace Arrakis.Plots;

/// <summary>
/// Attention patterns of one sequence (CircuitsVis's attention view): in HTML, hovering a query token highlights the
/// source tokens it attends to with their weights, a head selector picks the heads shown side by side.
/// </summary>
/// <param name="Title">Which model and sequence.</param>
/// <param name="Tokens">The sequence's tokens as text.</param>
/// <param name="Heads">One label per head (<c>L1H2</c>).</param>
/// <param name="Patterns">[head][query][key] = A[q, k], each query row summing to 1 over keys ≤ q.</param>
public sealed record AttentionFigure(string Title, IReadOnlyList<string> Tokens, IReadOnlyList<string> Heads, float[][][] Patterns) : Figure(Title)
{
    /// <inheritdoc />
    public override string Kind => "attention";

    /// <inheritdoc />
    public override void Validate()
    {
        int n = Tokens.Count;
        Require(n > 0, nameof(Tokens), $"Attention figure '{Title}' has no tokens.");
        Require(n <= FigureLimits.MaxAttentionTokens, nameof(Tokens), $"Attention figure '{Title}' has {n} tokens, over FigureLimits.MaxAttentionTokens ({FigureLimits.MaxAttentionTokens}); use Views.Attention to cut it.");
        Require(Heads.Count > 0 && Heads.Count == Patterns.Length, nameof(Patterns), $"Attention figure '{Title}' has {Heads.Count} head labels but {Patterns.Length} patterns.");
        Require((long)Heads.Count * n * n <= FigureLimits.MaxAttentionWeights, nameof(Patterns),
            $"Attention figure '{Title}' has {Heads.Count} heads × {n}² weights, over FigureLimits.MaxAttentionWeights ({FigureLimits.MaxAttentionWeights}).");
        for (int h = 0; h < Patterns.Length; h++)
        {
            Require(Patterns[h].Length == n, nameof(Patterns), $"Attention figure '{Title}': head {Heads[h]} has {Patterns[h].Length} query rows, expected {n} (one per token).");
            foreach (var row in Patterns[h])
                Require(row.Length == n, nameof(Patterns), $"Attention figure '{Title}': head {Heads[h]} has a row of {row.Length} keys, expected {n}.");
        }
    }
}
