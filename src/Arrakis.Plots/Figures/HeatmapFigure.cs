namespace Arrakis.Plots;

/// <summary>
/// A rows × columns grid of numbers with labelled axes: logit lens (layer × position), activation patching
/// (layer × position, layer × head), composition scores (writer × reader), detector scores (layer × head).
/// </summary>
/// <param name="Title">What the values are.</param>
/// <param name="RowLabels">One label per row (e.g. <c>L0</c>, <c>3_pre</c>).</param>
/// <param name="ColumnLabels">One label per column (e.g. the tokens <c>3: cat</c>).</param>
/// <param name="Values">[row][column]; NaN draws an empty cell.</param>
/// <param name="RowAxis">The rows' name (e.g. "layer").</param>
/// <param name="ColumnAxis">The columns' name (e.g. "position").</param>
/// <param name="Diverging">Colour around 0 (blue negative, red positive) rather than low → high.</param>
public sealed record HeatmapFigure(string Title, IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels, double[][] Values,
    string RowAxis = "", string ColumnAxis = "", bool Diverging = false) : Figure(Title)
{
    /// <inheritdoc />
    public override string Kind => "heatmap";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Values.Length > 0, nameof(Values), $"Heatmap '{Title}' has no rows; expected at least one.");
        Require(Values.Length == RowLabels.Count, nameof(RowLabels), $"Heatmap '{Title}' has {Values.Length} rows but {RowLabels.Count} row labels.");
        for (int r = 0; r < Values.Length; r++)
            Require(Values[r].Length == ColumnLabels.Count, nameof(Values),
                $"Heatmap '{Title}': row {r} has {Values[r].Length} values, expected {ColumnLabels.Count} (one per column label).");
        Require(ColumnLabels.Count > 0, nameof(ColumnLabels), $"Heatmap '{Title}' has no columns; expected at least one.");
        Require((long)Values.Length * ColumnLabels.Count <= FigureLimits.MaxHeatmapCells, nameof(Values),
            $"Heatmap '{Title}' has {Values.Length}×{ColumnLabels.Count} cells, over FigureLimits.MaxHeatmapCells ({FigureLimits.MaxHeatmapCells}); use Views.Heatmap to summarise it.");
    }

    /// <summary>The finite values' range (0, 0 when none is finite); symmetric around 0 when <see cref="Diverging"/>.</summary>
    public (double Min, double Max) Range()
    {
        var finite = Values.SelectMany(r => r).Where(double.IsFinite).ToList();
        if (finite.Count == 0) return (0, 0);
        if (!Diverging) return (finite.Min(), finite.Max());
        double m = finite.Max(Math.Abs);
        return (-m, m);
    }
}
