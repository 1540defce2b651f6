using System.Text;

namespace Arrakis.Tools;

/// <summary>A vocabulary id with its probability under a lens.</summary>
public sealed record TokenProbability(long Token, double Probability);

/// <summary>One cell of a lens grid: one layer's read-out at one position.</summary>
/// <param name="Position">The position.</param>
/// <param name="Top">The top-k tokens, most probable first.</param>
/// <param name="Target">The token followed here.</param>
/// <param name="TargetRank">How many tokens the lens ranks above it (0 = top).</param>
/// <param name="TargetProbability">Its probability under the lens.</param>
/// <param name="Kl">KL(p_final ‖ p_lens) at this position, nats.</param>
public sealed record LensCell(int Position, IReadOnlyList<TokenProbability> Top, long Target, long TargetRank, double TargetProbability, double Kl);

/// <summary>One layer of a lens grid.</summary>
/// <param name="Label">The stream read: <c>{l}_pre</c> (entering block l) or <c>final_post</c>.</param>
/// <param name="Positions">One cell per position.</param>
public sealed record LensLayer(string Label, IReadOnlyList<LensCell> Positions)
{
    /// <summary>Mean KL over the positions.</summary>
    public double MeanKl => Positions.Average(c => c.Kl);
}

/// <summary>A layer × position lens grid of one sequence (<see cref="ILens.LogitLens"/>, <see cref="ILens.ApplyTunedLens"/>).</summary>
/// <param name="Lens">"logit lens", "logit lens (frozen final scale)" or "tuned lens".</param>
/// <param name="BatchIndex">The sequence.</param>
/// <param name="Tokens">Its token ids.</param>
/// <param name="Layers">One row per stream, first layer first, <c>final_post</c> last.</param>
public sealed record LensResult(string Lens, int BatchIndex, IReadOnlyList<long> Tokens, IReadOnlyList<LensLayer> Layers)
{
    /// <summary>The cell of layer <paramref name="label"/> at <paramref name="position"/>.</summary>
    public LensCell this[string label, int position] => (Layers.FirstOrDefault(l => l.Label == label)
        ?? throw new KeyNotFoundException($"No layer '{label}'; layers: {string.Join(", ", Layers.Select(l => l.Label))}.")).Positions[position];

    /// <summary>A table of the top token (and its probability) per layer at the last <paramref name="positions"/> positions, with the mean KL.</summary>
    public string ToString(int positions)
    {
        int first = Math.Max(0, Tokens.Count - positions);
        var headers = new[] { "layer", "#KL" }.Concat(Enumerable.Range(first, Tokens.Count - first).Select(p => $"#pos {p} ({Tokens[p]})")).ToArray();
        var table = new Table(headers);
        foreach (var layer in Layers)
            table.Row(new object?[] { layer.Label, layer.MeanKl }.Concat(layer.Positions.Skip(first).Select(c => (object?)$"{c.Top[0].Token} {Table.Percent(c.Top[0].Probability)}")).ToArray());
        return table.Render($"{Lens} of sequence {BatchIndex}: top token and its probability per layer (KL to the output in nats, mean over positions):");
    }

    /// <inheritdoc />
    public override string ToString() => ToString(6);
}

/// <summary>One layer's mean KL to the output under both lenses.</summary>
public sealed record LensKl(string Label, double LogitLens, double TunedLens);

/// <summary>KL(p_final ‖ p_lens) per layer for the logit and the tuned lens (<see cref="ILens.CompareLenses"/>).</summary>
public sealed record LensComparisonResult(IReadOnlyList<LensKl> Layers)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("layer", "#logit lens KL", "#tuned lens KL");
        foreach (var l in Layers) table.Row(l.Label, l.LogitLens, l.TunedLens);
        return table.Render("KL(output ‖ lens) per layer, nats, mean over sequences and positions:");
    }
}
