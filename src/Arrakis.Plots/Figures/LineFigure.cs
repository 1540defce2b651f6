namespace Arrakis.Plots;

/// <summary>One named series of a <see cref="LineFigure"/>.</summary>
public sealed record LineSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>Lines over a shared x axis: training loss and eval per step, KL per layer, residual norms per layer.</summary>
/// <param name="Title">What is plotted.</param>
/// <param name="XAxis">The x axis's name.</param>
/// <param name="YAxis">The y axis's name.</param>
/// <param name="Series">The lines.</param>
public sealed record LineFigure(string Title, string XAxis, string YAxis, IReadOnlyList<LineSeries> Series) : Figure(Title)
{
    /// <inheritdoc />
    public override string Kind => "lines";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Series.Count > 0, nameof(Series), $"Line chart '{Title}' has no series; expected at least one.");
        foreach (var s in Series)
        {
            Require(s.X.Count == s.Y.Count, nameof(Series), $"Line chart '{Title}': series '{s.Name}' has {s.X.Count} x values but {s.Y.Count} y values.");
            Require(s.X.Count > 0, nameof(Series), $"Line chart '{Title}': series '{s.Name}' is empty.");
            Require(s.X.Count <= FigureLimits.MaxLinePoints, nameof(Series),
                $"Line chart '{Title}': series '{s.Name}' has {s.X.Count} points, over FigureLimits.MaxLinePoints ({FigureLimits.MaxLinePoints}); use Views.Lines to thin it.");
        }
    }
}
