namespace Arrakis.Tools;

/// <summary>A vocabulary id with a score.</summary>
public sealed record TokenScore(long Token, double Value);

/// <summary>What a head writes when it attends to one token (<see cref="IReadWriteHeads.OvCircuit"/>).</summary>
/// <param name="Head">The head.</param>
/// <param name="SourceToken">The attended token s.</param>
/// <param name="Top">The tokens t with the largest full-OV entries [s, t], largest first.</param>
/// <param name="CopyingScore">Σ Re λ / Σ |λ| over the full OV circuit's eigenvalues.</param>
public sealed record OvCircuitResult(HeadIndex Head, long SourceToken, IReadOnlyList<TokenScore> Top, double CopyingScore)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("#token", "#logit change");
        foreach (var t in Top) table.Row(t.Token, t.Value);
        return table.Render($"{Head} attending to token {SourceToken} raises (full OV circuit W_E·W_OV·W_U; copying score {Table.Number(CopyingScore)}):");
    }
}

/// <summary>Every head's copying score (<see cref="IReadWriteHeads.CopyingScores"/>).</summary>
public sealed record CopyingScoresResult(IReadOnlyList<HeadScore> Scores)
{
    /// <summary>The score of <paramref name="head"/>.</summary>
    public double this[HeadIndex head] => Scores.First(s => s.Head == head).Score;

    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("head", "#copying score");
        foreach (var s in Scores) table.Row(s.Head.ToString(), s.Score);
        return table.Render("Copying score per head, Σ Re λ / Σ |λ| over the full OV circuit's eigenvalues:");
    }
}

/// <summary>The key tokens a query token favours (<see cref="IReadWriteHeads.QkCircuit"/>).</summary>
public sealed record QkCircuitResult(HeadIndex Head, long QueryToken, IReadOnlyList<TokenScore> Top)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("#key token", "#score");
        foreach (var t in Top) table.Row(t.Token, t.Value);
        return table.Render($"{Head}: key tokens query token {QueryToken} scores highest (full QK circuit W_E·W_QK·W_Eᵀ, before 1/√d_head):");
    }
}

/// <summary>The key position each query position favours (<see cref="IReadWriteHeads.PositionalQk"/>).</summary>
/// <param name="Head">The head.</param>
/// <param name="PreferredKey">Per query position q, argmax over k ≤ q of W_pos[q]·W_QK·W_pos[k]ᵀ.</param>
/// <param name="PreviousPositionShare">The share of queries q ≥ 1 whose preferred key is q − 1.</param>
public sealed record PositionalQkResult(HeadIndex Head, IReadOnlyList<int> PreferredKey, double PreviousPositionShare)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Head}: positional QK prefers the previous position for {Table.Percent(PreviousPositionShare)} of query positions; preferred keys: {string.Join(" ", PreferredKey.Take(24))}{(PreferredKey.Count > 24 ? " …" : "")}";
}

/// <summary>The singular directions of a weight matrix read in token space (<see cref="IReadWriteHeads.SvdInterpreter"/>).</summary>
public sealed record SvdInterpreterResult(SvdTarget Target, int Layer, int? Head, IReadOnlyList<SingularDirection> Directions)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("#i", "#σ", "top tokens", "bottom tokens");
        foreach (var d in Directions)
            table.Row(d.Index, d.SingularValue, string.Join(" ", d.Top.Take(5).Select(t => t.Token)), string.Join(" ", d.Bottom.Take(5).Select(t => t.Token)));
        return table.Render($"SVD of {Target} at layer {Layer}{(Head is { } h ? $" head {h}" : "")}, singular directions in token space:");
    }
}
