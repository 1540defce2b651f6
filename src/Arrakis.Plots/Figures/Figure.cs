using System.Text.Json.Serialization;

namespace Arrakis.Plots;

/// <summary>
/// A figure: data plus what a reader needs to read it (title, axis names, labels). Figures are plain records, stored as
/// JSON beside a run (<c>{experiment}/figures/{runId}/NN-name.json</c>), drawn as static PNG/SVG by
/// <see cref="StaticExport"/> (ScottPlot) and as interactive SVG/HTML by <see cref="HtmlReport"/>.
/// </summary>
/// <param name="Title">What the figure shows, with its units.</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(HeatmapFigure), "heatmap")]
[JsonDerivedType(typeof(BarFigure), "bars")]
[JsonDerivedType(typeof(LineFigure), "lines")]
[JsonDerivedType(typeof(AttentionFigure), "attention")]
[JsonDerivedType(typeof(GraphFigure), "graph")]
[JsonDerivedType(typeof(TokenContextsFigure), "contexts")]
[JsonDerivedType(typeof(HistogramFigure), "histogram")]
public abstract record Figure(string Title)
{
    /// <summary>A sentence shown under the figure (e.g. that a tensor over the limits was summarised).</summary>
    public string? Note { get; init; }

    /// <summary>The figure kind's name as stored (<c>heatmap</c>, <c>bars</c>, <c>lines</c>, …).</summary>
    [JsonIgnore]
    public abstract string Kind { get; }

    /// <summary>Checks the figure's shape; throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public abstract void Validate();

    /// <summary>A file-name-safe short form of <see cref="Title"/>.</summary>
    public string Slug()
    {
        var chars = Title.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        string slug = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length == 0 ? Kind : slug.Length > 40 ? slug[..40].TrimEnd('-') : slug;
    }

    internal static void Require(bool condition, string argument, string message)
    {
        if (!condition) throw new ArgumentException(message, argument);
    }
}
