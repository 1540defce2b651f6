using Arrakis.Plots;
using static TorchSharp.torch;

namespace Arrakis.Report.Tests;

/// <summary>The figure model: validation names what is wrong, JSON round trips, the limits summarise instead of drawing.</summary>
public sealed class FigureTests
{
    [Fact]
    public void RaggedHeatmap_IsRefused_NamingTheRow()
    {
        var figure = new HeatmapFigure("h", ["a", "b"], ["x", "y"], [[1, 2], [3]]);
        var e = Assert.Throws<ArgumentException>(figure.Validate);
        Assert.Equal("Values", e.ParamName);
        Assert.Contains("row 1 has 1 values, expected 2", e.Message);
    }

    [Fact]
    public void GraphEdgeToAnUnknownNode_IsRefused()
    {
        var figure = new GraphFigure("g", [new FigureNode("a", "a", 0)], [new FigureEdge("a", "b", 1)]);
        var e = Assert.Throws<ArgumentException>(figure.Validate);
        Assert.Contains("unknown node 'b'", e.Message);
    }

    [Fact]
    public void EveryKind_RoundTripsThroughJson()
    {
        foreach (var figure in SampleFigures.All())
        {
            string json = FigureJson.Serialize(figure);
            Assert.Contains($"\"$kind\":\"{figure.Kind}\"", json);
            var back = FigureJson.Deserialize(json);
            Assert.Equal(figure.GetType(), back.GetType());
            Assert.Equal(json, FigureJson.Serialize(back));
        }
    }

    [Fact]
    public void TensorOverTheHeatmapLimit_IsSummarisedAsAHistogramOfEveryValue()
    {
        using var t = arange(300 * 300, dtype: ScalarType.Float32).reshape(300, 300);
        var figure = Assert.IsType<HistogramFigure>(Views.Tensor("big", t));
        Assert.Equal(300 * 300, figure.Counts.Sum());
        Assert.Contains("Summarised: [300, 300] has 90,000 elements", figure.Note);
        Assert.Equal(0, figure.Edges[0]);
        Assert.Equal(89_999, figure.Edges[^1], 6);
    }

    [Fact]
    public void SmallTensors_GetBarsAndHeatmaps_WithTheirValues()
    {
        using var v = tensor(new float[] { 1, -2, 3 });
        Assert.Equal([1.0, -2.0, 3.0], Assert.IsType<BarFigure>(Views.Tensor("v", v)).Values);
        using var m = tensor(new float[] { 1, 2, 3, 4, 5, 6 }).reshape(2, 3);
        var h = Assert.IsType<HeatmapFigure>(Views.Tensor("m", m, ["r0", "r1"]));
        Assert.Equal(6.0, h.Values[1][2]);
        Assert.Equal(["r0", "r1"], h.RowLabels);
        using var cube = ones(2, 2, 2);
        Assert.IsType<HistogramFigure>(Views.Tensor("cube", cube));
    }

    [Fact]
    public void LongAttention_KeepsTheFirstTokens_AndSaysSo()
    {
        int n = FigureLimits.MaxAttentionTokens + 10;
        using var p = ones(2, n, n).div(n);
        var figure = Views.Attention("long", p, Enumerable.Range(0, n).Select(i => i.ToString()).ToList());
        Assert.Equal(FigureLimits.MaxAttentionTokens, figure.Tokens.Count);
        Assert.Equal(FigureLimits.MaxAttentionTokens, figure.Patterns[0].Length);
        Assert.Contains($"first {FigureLimits.MaxAttentionTokens} of {n} tokens", figure.Note);
    }

    [Fact]
    public void AttentionOfTheWrongShape_IsRefused_NamingTheShapes()
    {
        using var p = ones(2, 3, 3);
        var e = Assert.Throws<ArgumentException>(() => Views.Attention("bad", p, ["a", "b"]));
        Assert.Equal("patterns", e.ParamName);
        Assert.Contains("[2, 3, 3]", e.Message);
    }

    [Fact]
    public void TooManyBars_KeepTheLargestInTheirOrder()
    {
        var values = Enumerable.Range(0, 300).Select(i => i % 2 == 0 ? (double)i : -i).ToList();
        var figure = Views.Bars("many", values.Select((_, i) => $"c{i}").ToList(), values);
        Assert.Equal(FigureLimits.MaxBars, figure.Values.Count);
        Assert.Equal("c44", figure.Labels[0]);
        Assert.Equal(-299, figure.Values[^1]);
        Assert.Contains("256 largest", figure.Note);
    }
}
