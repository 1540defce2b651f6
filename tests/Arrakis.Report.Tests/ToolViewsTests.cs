using Arrakis.Plots;
using Arrakis.Tools;
using static TorchSharp.torch;

namespace Arrakis.Report.Tests;

/// <summary>Every built-in tool's result has a default view that carries its numbers (decomposer, logit, composer,
/// patching, attention, lens, readwrite, residual).</summary>
public sealed class ToolViewsTests
{
    [Fact]
    public void Logit_DirectLogitAttribution_IsBarsOfEveryComponent()
    {
        var result = new LogitAttributionResult(7, 3, 0, 4.0, 0.5, [new("L0H0", 0.5), new("L1H0", 3.0), new("embed", 0.0)],
            [new HeadSourceAttribution(new HeadIndex(0, 0), 0.5, [0.25, 0.25, 0, 0]), new HeadSourceAttribution(new HeadIndex(1, 0), 3.0, [0, 1, 2, 0])],
            [new SourceAttribution(0, 11, 0.25), new SourceAttribution(1, 12, 1.25), new SourceAttribution(2, 13, 2.0), new SourceAttribution(3, 14, 0)], null);
        var figures = Views.For(result, tokenText: id => $"t{id}");
        var bars = Assert.IsType<BarFigure>(figures[0]);
        Assert.Equal(["L0H0", "L1H0", "embed"], bars.Labels);
        Assert.Equal([0.5, 3.0, 0.0], bars.Values);
        Assert.Contains("token t7", bars.Title);
        var perSource = Assert.IsType<HeatmapFigure>(figures[1]);
        Assert.Equal(2.0, perSource.Values[1][2]);
        Assert.Equal("1: t12", perSource.ColumnLabels[1]);
    }

    [Fact]
    public void Composer_Scores_AreAWriterByReaderHeatmap_EmptyWhereHeadsCannotCompose()
    {
        var result = new CompositionScoresResult(CompositionKind.K, 0.125,
            [new CompositionPair(new HeadIndex(0, 1), new HeadIndex(1, 0), 0.3), new CompositionPair(new HeadIndex(0, 0), new HeadIndex(1, 0), 0.1),
             new CompositionPair(new HeadIndex(0, 0), new HeadIndex(1, 1), 0.2)]);
        var h = Assert.IsType<HeatmapFigure>(Assert.Single(Views.For(result)));
        Assert.Equal(["L0H0", "L0H1"], h.RowLabels);
        Assert.Equal(["L1H0", "L1H1"], h.ColumnLabels);
        Assert.Equal(0.3, h.Values[1][0]);
        Assert.True(double.IsNaN(h.Values[1][1]));
    }

    [Fact]
    public void Patching_LayerByPosition_IsAHeatmapOfEffects()
    {
        using var values = tensor(new float[] { 1, 2, 3, 4, 5, 6 }).reshape(2, 3);
        var table = new PatchingTable("resid_pre", ["layer", "pos"], values, "exact", "denoising", 6.0, 1.0, 7, 0);
        var h = Assert.IsType<HeatmapFigure>(Assert.Single(Views.For(table)));
        Assert.Equal(5.0, h.Values[1][2], 6);   // 6 − corrupted 1
        Assert.Equal(0.0, h.Values[0][0], 6);
        Assert.True(h.Diverging);
        Assert.Equal("pos 2", h.ColumnLabels[2]);
    }

    [Fact]
    public void Attention_Patterns_AreTheAttentionViewAndAPerHeadHeatmap()
    {
        using var patterns = eye(3).expand(2, 2, 3, 3).contiguous();   // [layer, head, q, k]: every head attends to itself
        var heads = Enumerable.Range(0, 4).Select(i => new HeadAttentionSummary(new HeadIndex(i / 2, i % 2), 0, 0, 1, i * 0.25)).ToList();
        var result = new AttentionPatternsResult(0, [5, 6, 7], patterns, heads);
        var figures = Views.For(result, tokenText: id => $"w{id}");
        var a = Assert.IsType<AttentionFigure>(figures[0]);
        Assert.Equal(["L0H0", "L0H1", "L1H0", "L1H1"], a.Heads);
        Assert.Equal(["w5", "w6", "w7"], a.Tokens);
        Assert.Equal(1f, a.Patterns[3][2][2]);
        Assert.Equal(0f, a.Patterns[3][2][1]);
        var prev = Assert.IsType<HeatmapFigure>(figures[1]);
        Assert.Equal(0.75, prev.Values[1][1]);
    }

    [Fact]
    public void Attention_HeadDetector_IsALayerByHeadHeatmap()
    {
        var result = new HeadDetectionResult("induction_head", ErrorMeasure.Mul, false, false, true,
            [new HeadScore(new HeadIndex(0, 0), 0.1), new HeadScore(new HeadIndex(0, 1), 0.2), new HeadScore(new HeadIndex(1, 0), 0.9), new HeadScore(new HeadIndex(1, 1), 0.4)]);
        var h = Assert.IsType<HeatmapFigure>(Assert.Single(Views.For(result)));
        Assert.Equal(0.9, h.Values[1][0]);
        Assert.Equal(["L0", "L1"], h.RowLabels);
        Assert.Equal(["H0", "H1"], h.ColumnLabels);
    }

    [Fact]
    public void Lens_IsLayerByPositionHeatmapsWithTokenLabels()
    {
        LensCell Cell(int pos, double p, double kl) => new(pos, [new TokenProbability(1, p)], 1, 0, p, kl);
        var result = new LensResult("logit lens", 0, [3, 4], [new LensLayer("0_pre", [Cell(0, 0.1, 2), Cell(1, 0.2, 1.5)]), new LensLayer("final_post", [Cell(0, 0.6, 0), Cell(1, 0.9, 0)])]);
        var figures = Views.For(result, tokenText: id => $"x{id}");
        var p = Assert.IsType<HeatmapFigure>(figures[0]);
        Assert.Equal(["0_pre", "final_post"], p.RowLabels);
        Assert.Equal(["0: x3", "1: x4"], p.ColumnLabels);
        Assert.Equal(0.9, p.Values[1][1]);
        Assert.Equal(1.5, Assert.IsType<HeatmapFigure>(figures[1]).Values[0][1]);
    }

    [Fact]
    public void ReadWrite_CopyingScores_AreALayerByHeadHeatmap()
    {
        var result = new CopyingScoresResult([new HeadScore(new HeadIndex(0, 0), -0.5), new HeadScore(new HeadIndex(1, 1), 0.8)]);
        var h = Assert.IsType<HeatmapFigure>(Assert.Single(Views.For(result)));
        Assert.Equal(0.8, h.Values[1][1]);
        Assert.True(double.IsNaN(h.Values[0][1]));
    }

    [Fact]
    public void Residual_MovementAndAttribution_AreLinesAndHighlightedTokens()
    {
        var movement = new ResidualMovementResult(0, [new ResidualMovementStep(0, 1, 2, 0.9, 0.5, 0.6, 0.4), new ResidualMovementStep(1, 2, 3.5, 0.8, 0.4, 0.3, 0.7)]);
        var lines = Assert.IsType<LineFigure>(Assert.Single(Views.For(movement)));
        Assert.Equal([2.0, 3.5], lines.Series.Single(s => s.Name == "‖after‖").Y);
        var attribution = new FeatureAttributionResult("integrated gradients (50 steps)", 9, 2, "zero embeddings",
            [new SourceAttribution(0, 1, 0.5), new SourceAttribution(1, 2, -0.25), new SourceAttribution(2, 3, 1.0)], 2.0, 0.75);
        var contexts = Assert.IsType<TokenContextsFigure>(Assert.Single(Views.For(attribution)));
        Assert.Equal([0.5, -0.25, 1.0], contexts.Contexts[0].Values);
    }

    [Fact]
    public void Decomposer_Components_AreBars()
    {
        using var vectors = zeros(2, 4);
        var comps = new List<ResidualComponent> { new("L0H0", 1.5, null), new("embed", 2.5, null) };
        var result = new ResidualDecompositionResult(1, false, "blocks.1.hook_resid_pre", 3, 0, "norm", comps, comps, 0, vectors);
        var bars = Assert.IsType<BarFigure>(Assert.Single(Views.For(result)));
        Assert.Equal([1.5, 2.5], bars.Values);
    }

    [Fact]
    public void EdgeAttribution_IsAGraphOfTheStrongestEdges()
    {
        var table = new EdgeAttributionTable("EAP", "noising", 1, 0, ["input", "a0.h0", "a1.h0", "logits"],
            [new EdgeScore("input->a0.h0<k>", "input", "a0.h0", "k", 0.2), new EdgeScore("a0.h0->a1.h0<k>", "a0.h0", "a1.h0", "k", 0.9), new EdgeScore("a1.h0->logits", "a1.h0", "logits", "logits", -0.4)],
            2, 1, 0);
        var g = Assert.IsType<GraphFigure>(Assert.Single(Views.For(table)));
        Assert.Equal(4, g.Nodes.Count);
        Assert.Equal(0.9, g.Edges.Single(e => e.From == "a0.h0").Weight);
        Assert.True(GraphLayers.LayerOf("input") < GraphLayers.LayerOf("a0.h0"));
        Assert.True(GraphLayers.LayerOf("a1.h0") < GraphLayers.LayerOf("logits"));
    }

    [Fact]
    public void ACircuit_IsALayeredGraphOfItsEdges_TitledWithItsFaithfulness()
    {
        GraphNode previous = GraphNode.AttentionHead(0, 2), induction = GraphNode.AttentionHead(1, 0);
        var circuit = new Arrakis.Circuits.Circuit("attn-only-2l", "ACDC (tau 0.05)", "paired",
            [new GraphEdge(induction, GraphNode.Logits(2), EdgeInput.Logits, 2.5), new GraphEdge(previous, induction, EdgeInput.Key, -0.7)],
            81, null, 12, 0);

        var g = Assert.IsType<GraphFigure>(Assert.Single(Views.For(circuit)));

        Assert.Equal(["L0H2", "L1H0", "logits"], g.Nodes.OrderBy(n => n.Layer).Select(n => n.Id));
        Assert.Equal((-0.7, "key"), g.Edges.Single(e => e.From == "L0H2" && e.To == "L1H0") is var e ? (e.Weight, e.Label) : default);
        Assert.Contains("2 of 81 edges", g.Title);
    }

    [Fact]
    public void AnUnknownValue_HasNoView()
    {
        Assert.Empty(Views.For(new object()));
        Assert.Empty(Views.For(null));
    }
}
