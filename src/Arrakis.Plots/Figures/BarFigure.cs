namespace Arrakis.Plots;

/// <summary>Labelled bars, e.g. direct logit attribution per component (<c>L1H2</c>, <c>embed</c>, <c>bias</c>).</summary>
/// <param name="Title">What the values are.</param>
/// <param name="Labels">One label per bar.</param>
/// <param name="Values">One value per bar (negative bars point the other way).</param>
/// <param name="ValueAxis">The values' name and unit.</param>
public sealed record BarFigure(string Title, IReadOnlyList<string> Labels, IReadOnlyList<double> Values, string ValueAxis = "") : Figure(Title)
{
    /// <inheritdoc />
    public override string Kind => "bars";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Labels.Count > 0, nameof(Labels), $"Bar chart '{Title}' has no bars; expected at least one.");
        Require(Labels.Count == Values.Count, nameof(Values), $"Bar chart '{Title}' has {Labels.Count} labels but {Values.Count} values.");
        Require(Labels.Count <= FigureLimits.MaxBars, nameof(Values), $"Bar chart '{Title}' has {Labels.Count} bars, over FigureLimits.MaxBars ({FigureLimits.MaxBars}); use Views.Bars to keep the largest.");
    }
}
