namespace Arrakis.Plots;

/// <summary>A histogram: <c>Counts[i]</c> values fell in [<c>Edges[i]</c>, <c>Edges[i+1]</c>) (the last bin includes its right edge).</summary>
/// <param name="Title">What was counted.</param>
/// <param name="Edges">Bin edges, ascending, one more than the bins.</param>
/// <param name="Counts">Values per bin.</param>
/// <param name="ValueAxis">The values' name.</param>
public sealed record HistogramFigure(string Title, IReadOnlyList<double> Edges, IReadOnlyList<long> Counts, string ValueAxis = "") : Figure(Title)
{
    /// <inheritdoc />
    public override string Kind => "histogram";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Counts.Count > 0, nameof(Counts), $"Histogram '{Title}' has no bins.");
        Require(Edges.Count == Counts.Count + 1, nameof(Edges), $"Histogram '{Title}' has {Counts.Count} bins but {Edges.Count} edges; expected {Counts.Count + 1}.");
        for (int i = 1; i < Edges.Count; i++)
            Require(Edges[i] >= Edges[i - 1], nameof(Edges), $"Histogram '{Title}': edges must ascend; edge {i} ({Edges[i]}) < edge {i - 1} ({Edges[i - 1]}).");
    }

    /// <summary>Counts <paramref name="values"/> (non-finite ones skipped) into <paramref name="bins"/> equal bins over their range.</summary>
    public static HistogramFigure Of(string title, IEnumerable<double> values, int bins = 30, string valueAxis = "")
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "Expected at least one bin.");
        var finite = values.Where(double.IsFinite).ToArray();
        double lo = finite.Length == 0 ? 0 : finite.Min(), hi = finite.Length == 0 ? 1 : finite.Max();
        if (hi <= lo) hi = lo + 1;
        var counts = new long[bins];
        foreach (double v in finite) counts[Math.Min(bins - 1, (int)((v - lo) / (hi - lo) * bins))]++;
        var edges = Enumerable.Range(0, bins + 1).Select(i => lo + (hi - lo) * i / bins).ToArray();
        return new HistogramFigure(title, edges, counts, valueAxis);
    }
}
