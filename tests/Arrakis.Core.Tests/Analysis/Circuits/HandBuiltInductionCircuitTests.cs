using Arrakis.Circuits;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis.Circuits;

/// <summary>
/// Ground truth: the hand-built induction model (<see cref="global::Arrakis.HandBuiltInduction"/>). Clean: repeated random
/// permutations of the vocabulary; corrupted: other permutations, so every token (but no position) differs. The circuit that
/// carries the induction metric is known by construction: L0H0 reads the token at its value (input → L0H0&lt;v&gt;) and writes it
/// as "previous token"; L1H0's key reads that (L0H0 → L1H0&lt;k&gt;), its query the current token (input → L1H0&lt;q&gt;), its value the
/// token to copy (input → L1H0&lt;v&gt;); it writes the prediction, which the unembedding reads (L1H0 → logits). Positions are the
/// same in both runs, so L0H0's query and key edges carry nothing; L0H1 and L1H1 write only junk nobody reads.
/// </summary>
public class HandBuiltInductionCircuitTests(Xunit.Abstractions.ITestOutputHelper output)
{
    internal static readonly string[] Expected =
        ["input->L0H0<v>", "L0H0->L1H0<k>", "input->L1H0<q>", "input->L1H0<v>", "L1H0->logits"];

    private static (HookedTransformer Model, Tensor Clean, Func<Tensor, Tensor> Metric, CircuitPatcher Patcher) Setup()
    {
        var model = InductionGroundTruth.Create();
        var clean = InductionGroundTruth.RepeatedSequences(8, seed: 1);
        var corrupted = InductionGroundTruth.RepeatedSequences(8, seed: 2);
        Tensor Metric(Tensor logits) => InductionGroundTruth.InductionMetric(logits, clean);
        return (model, clean, Metric, new CircuitPatcher(model, clean, Corruption.Paired(corrupted), Metric));
    }

    [Fact]
    public void Acdc_FindsExactlyTheInductionCircuit()
    {
        using var scope = NewDisposeScope();
        var (model, clean, _, patcher) = Setup();
        using var _m = model;
        using var _p = patcher;
        var circuit = CircuitDiscovery.Acdc(patcher, model, threshold: 0.01);
        output.WriteLine(circuit.ToString());
        Assert.Equal(Expected.Order(), circuit.Edges.Select(e => e.Name).Order());
        Assert.True(circuit.Evaluation!.Faithfulness >= 0.95, $"faithfulness {circuit.Evaluation.Faithfulness}");
        Assert.True(circuit.Evaluation.Completeness >= 0.95, $"completeness {circuit.Evaluation.Completeness}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public void Eap_TopFive_IsTheInductionCircuit(int integratedGradientSteps)
    {
        using var scope = NewDisposeScope();
        var (model, clean, metric, patcher) = Setup();
        using var _m = model;
        using var _p = patcher;
        var scores = CircuitDiscovery.Score(patcher, model, clean, metric, integratedGradientSteps);
        output.WriteLine(string.Join("\n", scores.TopEdges(10)));
        var circuit = CircuitDiscovery.Eap(patcher, model, clean, metric, topK: Expected.Length, integratedGradientSteps: integratedGradientSteps);
        output.WriteLine(circuit.ToString());
        Assert.Equal(Expected.Order(), circuit.Edges.Select(e => e.Name).Order());
        Assert.True(circuit.Evaluation!.Faithfulness >= 0.95, $"faithfulness {circuit.Evaluation.Faithfulness}");
    }

    [Fact]
    public void Eap_Threshold_BetweenTheFifthAndSixthScore_KeepsTheSameFiveEdges()
    {
        using var scope = NewDisposeScope();
        var (model, clean, metric, patcher) = Setup();
        using var _m = model;
        using var _p = patcher;
        var ranked = CircuitDiscovery.Score(patcher, model, clean, metric).Edges.Select(e => Math.Abs(e.Score)).OrderDescending().ToList();
        double threshold = (ranked[4] + ranked[5]) / 2;
        var circuit = CircuitDiscovery.Eap(patcher, model, clean, metric, threshold: threshold);
        output.WriteLine($"threshold {threshold:G4} (5th {ranked[4]:G4}, 6th {ranked[5]:G4})\n{circuit}");
        Assert.Equal(Expected.Order(), circuit.Edges.Select(e => e.Name).Order());
        Assert.Contains("|score| ≥", circuit.Method);
    }

    [Theory]
    [InlineData(CorruptionKind.Mean)]
    [InlineData(CorruptionKind.Resample)]
    public void Eap_UnderMeanAndResampleCorruption_FindsTheInductionHeadsPath(CorruptionKind kind)
    {
        // Mean / resample over the clean batch: the induction head's output edge must be kept, and the circuit evaluated exactly.
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var clean = InductionGroundTruth.RepeatedSequences(8, seed: 1);
        Tensor Metric(Tensor logits) => InductionGroundTruth.InductionMetric(logits, clean);
        using var patcher = new CircuitPatcher(model, clean, kind == CorruptionKind.Mean ? Corruption.Mean() : Corruption.Resample(seed: 3), Metric);
        var circuit = CircuitDiscovery.Eap(patcher, model, clean, Metric, topK: 5, integratedGradientSteps: 8);
        output.WriteLine(circuit.ToString());
        Assert.Equal(kind.ToString().ToLowerInvariant(), circuit.Corruption);
        Assert.Contains("L1H0->logits", circuit.Edges.Select(e => e.Name));
        Assert.True(patcher.CleanMetric - patcher.CorruptedMetric > 1, $"gap {patcher.CleanMetric} − {patcher.CorruptedMetric}");
        Assert.Equal(1.0, patcher.Evaluate(patcher.Graph.Edges).Faithfulness, 5);
    }

    [Fact]
    public void TheExpectedCircuit_IsFaithful_AndEveryEdgeOfItIsNeeded()
    {
        using var scope = NewDisposeScope();
        var (model, _, _, patcher) = Setup();
        using var _m = model;
        using var _p = patcher;
        var edges = Expected.Select(n => patcher.Graph.Edges[patcher.Graph.IndexOf(n)]).ToList();
        var evaluation = patcher.Evaluate(edges);
        output.WriteLine(evaluation.ToString());
        Assert.True(evaluation.Faithfulness >= 0.95);
        foreach (var missing in edges)
        {
            double f = patcher.Evaluate(edges.Where(e => e != missing)).Faithfulness;
            output.WriteLine($"without {missing.Name}: faithfulness {f:F3}");
            Assert.True(f < 0.5, $"without {missing.Name} the circuit still has faithfulness {f}");
        }
    }

    [Fact]
    public void Prune_KeepsTheMetric_AndDropsDanglingEdges()
    {
        using var scope = NewDisposeScope();
        var (model, _, _, patcher) = Setup();
        using var _m = model;
        using var _p = patcher;
        var random = new Random(3);
        for (int trial = 0; trial < 5; trial++)
        {
            var edges = patcher.Graph.Edges.Where(_ => random.NextDouble() < 0.4).ToList();
            var pruned = CircuitDiscovery.Prune(edges);
            Assert.True(pruned.Count <= edges.Count);
            Assert.All(pruned, e => Assert.True(e.Downstream.Kind == GraphNodeKind.Logits || pruned.Any(o => o.Upstream == e.Downstream)));
            Assert.Equal(patcher.Metric(edges), patcher.Metric(pruned), 5);
        }
    }

    [Fact]
    public void TheCircuit_RoundTripsThroughJson_AndDrawsAsDot()
    {
        using var scope = NewDisposeScope();
        var (model, clean, metric, patcher) = Setup();
        using var _m = model;
        using var _p = patcher;
        var circuit = CircuitDiscovery.Eap(patcher, model, clean, metric, topK: 5);
        var json = circuit.ToJson();
        var back = Circuit.FromJson(json);
        Assert.Equal(circuit.Edges, back.Edges);
        Assert.Equal(circuit.Evaluation, back.Evaluation);
        Assert.Equal(circuit with { Edges = back.Edges }, back);
        Assert.Contains("\"Kind\": \"AttentionHead\"", json);
        var dot = circuit.ToDot();
        output.WriteLine(dot);
        Assert.StartsWith("digraph circuit {", dot);
        foreach (var e in circuit.Edges)
            Assert.Contains($"\"{e.Upstream.Name}\" -> \"{e.Downstream.Name}\"", dot);
        Assert.Equal(circuit.Edges.Count, dot.Split('\n').Count(l => l.Contains("->")));
        Assert.Contains("L0H0->L1H0<k>", circuit.ToString());
        Assert.Equal("json", Assert.Throws<ArgumentException>(() => Circuit.FromJson("{ not json")).ParamName);
    }
}
