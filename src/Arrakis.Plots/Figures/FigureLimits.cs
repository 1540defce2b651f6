namespace Arrakis.Plots;

/// <summary>
/// How much a figure may hold before it is summarised instead of drawn, so a large tensor never makes a page of
/// hundreds of megabytes. Past a limit the figure helpers (<see cref="Views"/>) draw the value distribution
/// (a <see cref="HistogramFigure"/> with min, max, mean in its note) or keep the first rows, and say so in
/// <see cref="Figure.Note"/>.
/// </summary>
public static class FigureLimits
{
    /// <summary>Heatmap cells (rows × columns) drawn; more are summarised as a histogram. 65,536 cells ≈ 6 MB of HTML.</summary>
    public const int MaxHeatmapCells = 65_536;

    /// <summary>Bars drawn; more keep the largest by magnitude.</summary>
    public const int MaxBars = 256;

    /// <summary>Points per line series; longer series are thinned to this many (every k-th point, last kept).</summary>
    public const int MaxLinePoints = 4_096;

    /// <summary>Tokens of an attention pattern; longer sequences keep their first tokens.</summary>
    public const int MaxAttentionTokens = 128;

    /// <summary>Attention weights stored (heads × tokens²): 16 heads of 128 tokens; more heads are dropped (by order).</summary>
    public const int MaxAttentionWeights = 16 * 128 * 128;

    /// <summary>Nodes of a graph; more keep the nodes of the strongest edges.</summary>
    public const int MaxGraphNodes = 200;

    /// <summary>Token contexts, and tokens per context.</summary>
    public const int MaxContexts = 64, MaxContextTokens = 128;

    /// <summary>Elements of a tensor given to <see cref="Views.Tensor"/> that are read at all; past it only its shape and the
    /// statistics of this many leading elements are shown.</summary>
    public const long MaxTensorElements = 16_777_216;
}
