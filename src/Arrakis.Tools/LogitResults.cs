using System.Text;

namespace Arrakis.Tools;

/// <summary>A labelled number, e.g. one component's direct logit attribution.</summary>
public sealed record LabeledValue(string Label, double Value);

/// <summary>The direct effect of one source position on the target logit, through the heads' attention.</summary>
/// <param name="Position">The source (key) position.</param>
/// <param name="Token">The token id at that position.</param>
/// <param name="Value">Σ over heads of attention weight × value path, in logit units.</param>
public sealed record SourceAttribution(int Position, long Token, double Value);

/// <summary>One head's direct logit attribution split by source position.</summary>
/// <param name="Head">The head.</param>
/// <param name="Total">Its direct logit attribution (= Σ of <paramref name="PerSource"/>).</param>
/// <param name="PerSource">One value per source position 0 … pos−1 (zero after the query position: attention is causal).</param>
public sealed record HeadSourceAttribution(HeadIndex Head, double Total, IReadOnlyList<double> PerSource);

/// <summary>Where a target logit comes from (<see cref="ILogitAttributor.LogitAttribution"/>).</summary>
/// <param name="TargetIdx">The vocabulary id explained.</param>
/// <param name="Position">The query position (non-negative).</param>
/// <param name="BatchIndex">The sequence.</param>
/// <param name="Logit">The model's logit for <paramref name="TargetIdx"/> there.</param>
/// <param name="UnembedBias">The part of the logit no component writes: b_U[t] + b_ln·W_U[:, t] (b_U[t] after fold_ln).</param>
/// <param name="Components">Direct logit attribution of every component of the final residual stream, in the model's order.</param>
/// <param name="Heads">Every head's attribution split by source position, in (layer, head) order.</param>
/// <param name="Sources">Per source position, Σ over heads (the input tokens' direct effect through attention).</param>
/// <param name="GradientTimesEmbedding">Approximate (first-order) attribution per position, ∂logit/∂e_p · e_p; null unless asked for.</param>
public sealed record LogitAttributionResult(
    long TargetIdx,
    int Position,
    int BatchIndex,
    double Logit,
    double UnembedBias,
    IReadOnlyList<LabeledValue> Components,
    IReadOnlyList<HeadSourceAttribution> Heads,
    IReadOnlyList<SourceAttribution> Sources,
    IReadOnlyList<SourceAttribution>? GradientTimesEmbedding)
{
    /// <summary>Σ of the component attributions; equals <see cref="Logit"/> − <see cref="UnembedBias"/> up to float rounding.</summary>
    public double Total => Components.Sum(c => c.Value);

    /// <summary>The attribution of the component called <paramref name="label"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such component.</exception>
    public double this[string label] => Components.FirstOrDefault(c => c.Label == label)?.Value
        ?? throw new KeyNotFoundException($"No component '{label}'; components: {string.Join(", ", Components.Take(12).Select(c => c.Label))}{(Components.Count > 12 ? ", …" : "")}.");

    /// <summary>The component with the largest attribution (most positive).</summary>
    public LabeledValue Largest => Components.MaxBy(c => c.Value)!;

    /// <summary>Tables of the <paramref name="rows"/> largest attributions by magnitude.</summary>
    public string ToString(int rows)
    {
        var text = new StringBuilder();
        var components = new Table("component", "#attribution");
        foreach (var c in Components.OrderByDescending(c => Math.Abs(c.Value)).Take(rows)) components.Row(c.Label, c.Value);
        text.Append(components.Render(
            $"Direct logit attribution of token {TargetIdx} at position {Position} (sequence {BatchIndex}): logit {Table.Number(Logit)} = " +
            $"Σ {Components.Count} components {Table.Number(Total)} + unembedding bias {Table.Number(UnembedBias)}"));
        if (Components.Count > rows) text.AppendLine($"  … {Components.Count - rows} smaller");

        var sources = new Table("#position", "#token", "#attribution");
        foreach (var s in Sources.OrderByDescending(s => Math.Abs(s.Value)).Take(rows)) sources.Row(s.Position, s.Token, s.Value);
        text.Append(sources.Render("Per source token (Σ over heads of attention weight × value path; sums to the heads' total):"));

        var split = new Table("head", "#total", "#top source", "#from that source");
        foreach (var h in Heads.OrderByDescending(h => Math.Abs(h.Total)).Take(Math.Min(rows, 5)))
        {
            int top = Enumerable.Range(0, h.PerSource.Count).MaxBy(i => Math.Abs(h.PerSource[i]));
            split.Row(h.Head.ToString(), h.Total, top, h.PerSource[top]);
        }
        text.Append(split.Render("Heads by |attribution|, with the source position they draw most from and the attribution through it (not a share: sources can cancel):"));

        if (GradientTimesEmbedding is { } approx)
        {
            var grad = new Table("#position", "#token", "#grad × embed");
            foreach (var s in approx) grad.Row(s.Position, s.Token, s.Value);
            text.Append(grad.Render("Gradient × token embedding (approximate: first-order, not exact):"));
        }
        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToString(12);
}

/// <summary>How a token's logit builds up through the layers (<see cref="ILogitAttributor.TrackTokenCirculation"/>).</summary>
/// <param name="TargetToken">The vocabulary id followed.</param>
/// <param name="Position">The position (non-negative).</param>
/// <param name="BatchIndex">The sequence.</param>
/// <param name="Steps">One step per layer: logit-lens logit, probability and rank after the layer, and its attention's and MLP's direct moves.</param>
public sealed record TokenCirculationResult(long TargetToken, int Position, int BatchIndex, IReadOnlyList<TokenCirculationStep> Steps)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("#layer", "#lens logit", "#lens prob", "#lens rank", "#attn move", "#mlp move");
        foreach (var s in Steps) table.Row(s.Layer, s.LensLogit, s.LensProbability, s.LensRank, s.AttentionMove, s.MlpMove);
        return table.Render(
            $"Token {TargetToken} at position {Position} (sequence {BatchIndex}) through {Steps.Count} layer(s): logit lens after each layer " +
            "(final norm recomputed) and the layer's direct moves (frozen final scale)");
    }
}
