using System.Text.Json;
using Arrakis.Circuits;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>The <c>circuits</c> tool, loaded from its plugin: Core's discovery and evaluation on the hand-built induction model.</summary>
[Collection(ToolsCollection.Name)]
public sealed class CircuitsToolTests(BuiltInTools tools)
{
    private static readonly string[] Induction = ["input->L0H0<v>", "L0H0->L1H0<k>", "input->L1H0<q>", "input->L1H0<v>", "L1H0->logits"];

    private static (Tensor Clean, Tensor Corrupted) Sequences()
    {
        Tensor Repeated(int seed)
        {
            var random = new Random(seed);
            var rows = new long[8 * HandBuiltInduction.Positions];
            for (int s = 0; s < 8; s++)
            {
                var half = Enumerable.Range(0, HandBuiltInduction.Vocab).OrderBy(_ => random.Next()).ToArray();
                for (int i = 0; i < HandBuiltInduction.Positions; i++)
                    rows[s * HandBuiltInduction.Positions + i] = half[i % HandBuiltInduction.Vocab];
            }
            return tensor(rows).reshape(8, HandBuiltInduction.Positions);
        }
        return (Repeated(1), Repeated(2));
    }

    [Fact]
    public void DiscoveryAndEvaluation_AreCores_OnTheHandBuiltInductionCircuit()
    {
        using var scope = NewDisposeScope();
        using var model = HandBuiltInduction.Create();
        var (clean, corrupted) = Sequences();
        int v = HandBuiltInduction.Vocab;
        Tensor Metric(Tensor logits) => logits[.., (v + 1)..^1].log_softmax(-1).gather(-1, clean[.., (v + 2)..].unsqueeze(-1)).squeeze(-1).mean([1L]);
        var circuits = tools.Circuits(model);
        Assert.Equal(29, circuits.Graph().Count);
        var acdc = circuits.DiscoverAcdc(clean, Corruption.Paired(corrupted), Metric, threshold: 0.01);
        var eap = circuits.DiscoverEap(clean, Corruption.Paired(corrupted), Metric, topK: 5);
        Assert.Equal(Induction.Order(), acdc.Edges.Select(e => e.Name).Order());
        Assert.Equal(Induction.Order(), eap.Edges.Select(e => e.Name).Order());
        Assert.True(acdc.Evaluation!.Faithfulness >= 0.95);
        var evaluation = circuits.Evaluate(clean, Corruption.Paired(corrupted), Metric, circuits.Graph());
        Assert.Equal(1.0, evaluation.Faithfulness, 5);
        Assert.Equal(29, evaluation.Edges);
        Assert.Contains("ACDC", acdc.ToString());
        var json = JsonSerializer.Serialize(acdc);
        Assert.Contains("L0H0", json);
        Assert.Equal(acdc.Edges, Circuit.FromJson(acdc.ToJson()).Edges);
    }

    [Fact]
    public void BadInput_NamesTheArgument_AndAnUnboundPrototypeSaysSo()
    {
        using var scope = NewDisposeScope();
        using var model = HandBuiltInduction.Create();
        var (clean, _) = Sequences();
        var circuits = tools.Circuits(model);
        Tensor Metric(Tensor logits) => logits[.., -1, 0];
        Assert.Equal("topK", Assert.Throws<ArgumentException>(() => circuits.DiscoverEap(clean, Corruption.Mean(), Metric)).ParamName);
        Assert.Equal("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => circuits.DiscoverAcdc(clean, Corruption.Mean(), Metric, threshold: -1)).ParamName);
        Assert.Equal("cleanIds", Assert.ThrowsAny<ArgumentException>(() => circuits.DiscoverAcdc(tensor(new[] { 1.5f }), Corruption.Mean(), Metric)).ParamName);
        Assert.Throws<InvalidOperationException>(() => ((ICircuitFinder)tools.Host.Registry.Get("circuits")).Graph());
    }
}
