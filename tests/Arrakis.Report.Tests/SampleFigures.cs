using Arrakis.Plots;

namespace Arrakis.Report.Tests;

/// <summary>One figure of every kind, with values the tests know.</summary>
internal static class SampleFigures
{
    public static readonly string[] Tokens = ["<bos>", "A", "B", "C", "A", "B"];

    /// <summary>Head 0 attends to the previous token; head 1 to the token after the earlier copy of the current one (induction).</summary>
    public static AttentionFigure Attention()
    {
        int n = Tokens.Length;
        float[][] Pattern(Func<int, int> source) => Enumerable.Range(0, n).Select(q =>
        {
            var row = new float[n];
            int s = source(q);
            row[s] = 0.75f;
            row[0] += 0.25f; // the rest on BOS (q = 0: all of it)
            if (q == 0) row[0] = 1f;
            return row;
        }).ToArray();
        return new AttentionFigure("Attention of a repeated sequence", Tokens, ["L0H0", "L1H0"],
            [Pattern(q => Math.Max(0, q - 1)), Pattern(q => q >= 4 ? q - 2 : Math.Max(0, q - 1))]);
    }

    public static HeatmapFigure Heatmap() => new("Logit lens: probability of the next token", ["0_pre", "1_pre", "final_post"],
        Tokens.Select((t, i) => $"{i}: {t}").ToList(),
        [[0.01, 0.02, 0.03, 0.04, 0.05, 0.06], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.2, 0.3, 0.5, 0.7, 0.9, 0.95]], "layer", "position");

    public static BarFigure Bars() => new("Direct logit attribution", ["L0H0", "L1H0", "L1H1", "embed", "bias"], [0.5, 3.25, -1.5, 0.25, 0.125], "logit");

    public static LineFigure Lines() => new("Training loss", "step", "loss",
        [new LineSeries("train", [0, 100, 200, 300], [10.5, 4.25, 2.0, 1.5]), new LineSeries("eval", [0, 150, 300], [10.0, 3.5, 1.75])]);

    public static HistogramFigure Histogram() => HistogramFigure.Of("Feature activations", Enumerable.Range(0, 1000).Select(i => Math.Sin(i) * 3), 20, "activation");

    public static GraphFigure Graph() => new("Induction circuit",
        [new FigureNode("embed", "embed", 0), new FigureNode("a0.h0", "L0H0", 1), new FigureNode("a1.h0", "L1H0", 3), new FigureNode("logits", "logits", 5)],
        [new FigureEdge("embed", "a0.h0", 0.4, "v"), new FigureEdge("a0.h0", "a1.h0", 0.9, "k"), new FigureEdge("a1.h0", "logits", 1.2), new FigureEdge("embed", "logits", -0.3)]);

    public static TokenContextsFigure Contexts() => new("Max-activating examples of feature 7",
        [new TokenContext("example 1 (max 2.0)", ["the", " cat", " sat"], [0.0, 2.0, 0.5]), new TokenContext("example 2 (max 1.0)", ["a", " dog"], [-0.5, 1.0])]);

    public static IReadOnlyList<Figure> All() => [Heatmap(), Bars(), Lines(), Histogram(), Attention(), Graph(), Contexts()];
}
