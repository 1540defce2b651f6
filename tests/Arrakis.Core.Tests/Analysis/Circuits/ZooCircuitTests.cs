using Arrakis.Circuits;
using Arrakis.Training;
using Arrakis.Training.Tasks;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis.Circuits;

/// <summary>
/// Ground truth from the zoo: attn-only-2l's induction circuit (previous-token head 0.2 K-composing with the four layer-1
/// induction heads) and gpt2-mini-language's IOI behaviour (100 % on held-out name pairs). Numbers in docs/tools/circuits.md.
/// </summary>
public sealed class ZooCircuitTests(MiniLanguageModel language, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<MiniLanguageModel>
{
    private const int Half = 20;

    /// <summary>Mean log-probability of the true next token inside the repeated half: [batch].</summary>
    private static Tensor InductionMetric(Tensor logits, Tensor tokens) =>
        logits[.., (Half + 1)..^1].log_softmax(-1).gather(-1, tokens[.., (Half + 2)..].unsqueeze(-1)).squeeze(-1).mean([1L]);

    /// <summary>16 repeated random sequences (BOS + 20 words, twice) and another 16, for the corruption.</summary>
    private static (Tensor Clean, Tensor Other) Sequences() =>
        (InductionTask.RepeatedSequences(new SeededRandom(5, 1), 16, Half), InductionTask.RepeatedSequences(new SeededRandom(6, 1), 16, Half));

    [Fact]
    public void AttnOnly2l_EapIg_TenPercentOfTheEdges_AreFaithful()
    {
        // Corruption: other repeated sequences. They are repeated too, so the induction heads' attention pattern is the same in
        // both runs and only what the heads copy (their value inputs) and write differs.
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("attn-only-2l");
        var (clean, other) = Sequences();
        Tensor Metric(Tensor logits) => InductionMetric(logits, clean);
        using var patcher = new CircuitPatcher(model, clean, Corruption.Paired(other), Metric);
        var circuit = CircuitDiscovery.Eap(patcher, model, clean, Metric, topK: 8, integratedGradientSteps: 8);
        output.WriteLine(circuit.ToString());
        Assert.True(circuit.Evaluation!.EdgeFraction <= 0.10, $"{circuit.Edges.Count} of {circuit.GraphEdges} edges");
        Assert.True(circuit.Evaluation.Faithfulness >= 0.8, $"faithfulness {circuit.Evaluation.Faithfulness:F3}");
    }

    [Fact]
    public void AttnOnly2l_Acdc_KeepsThePreviousTokenToInductionKeyEdgesThatPathPatchingFinds()
    {
        // Corruption: the first copy replaced by other words, the second kept, so the repeat (and the induction pattern) is broken:
        // the key path from the previous-token head now carries the effect.
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("attn-only-2l");
        var (clean, other) = Sequences();
        var corrupted = cat([other[.., ..(Half + 1)], clean[.., (Half + 1)..]], 1);
        Tensor Metric(Tensor logits) => InductionMetric(logits, clean);
        var pairs = (from s in Enumerable.Range(0, 4) from r in Enumerable.Range(0, 4) select (new HeadIndex(0, s), new HeadIndex(1, r))).ToList();
        var paths = PathPatching.Run(model, clean, pairs, PathInput.Key, corrupted, InductionMetric);
        double strongest = paths.Max(p => Math.Abs(p.Patched - p.Clean));
        var keyEdges = paths.Where(p => Math.Abs(p.Patched - p.Clean) >= 0.3 * strongest)
            .Select(p => $"L0H{p.Sender.Head}->L1H{p.Receivers[0].Head}<k>").ToList();
        output.WriteLine($"path patching, key edges with ≥ 30 % of the strongest effect ({strongest:G4}): {string.Join(", ", keyEdges)}");
        Assert.Contains("L0H2->L1H2<k>", keyEdges);  // the model card's pair: previous-token head 0.2 into induction head 1.2

        using var patcher = new CircuitPatcher(model, clean, Corruption.Paired(corrupted), Metric);
        var circuit = CircuitDiscovery.Acdc(patcher, model, threshold: 0.05);
        output.WriteLine(circuit.ToString());
        Assert.All(keyEdges, e => Assert.True(circuit.Contains(e), $"{e} missing from the circuit"));
        Assert.True(circuit.Evaluation!.Faithfulness >= 0.8, $"faithfulness {circuit.Evaluation.Faithfulness:F3}");
        // Not asserted, because not met: ≤ 10 % of the edges. Measured: 20 of 81 (24.7 %) at faithfulness 0.812 (docs/tools/circuits.md).
    }

    [Fact]
    public void Gpt2MiniLanguage_Ioi_EapIg_TenPercentOfTheEdges_AreFaithful()
    {
        using var scope = NewDisposeScope();
        var model = language.Model;
        var (clean, corrupted, metric) = PatchingValidationTests.Ioi(model, template: 0);
        using var patcher = new CircuitPatcher(model, clean, Corruption.Paired(corrupted), metric);
        int budget = patcher.Graph.Edges.Count / 10;
        var circuit = CircuitDiscovery.Eap(patcher, model, clean, metric, topK: budget, integratedGradientSteps: 8);
        output.WriteLine(circuit.ToString());
        Assert.True(circuit.Evaluation!.EdgeFraction <= 0.10, $"{circuit.Edges.Count} of {circuit.GraphEdges} edges");
        Assert.True(circuit.Evaluation.Faithfulness >= 0.8, $"faithfulness {circuit.Evaluation.Faithfulness:F3}");
        // What it contains (measured; docs/tools/circuits.md): layer-0 heads 0.0 and 0.2 read the names (value edges from the
        // embeddings) into MLP 0, head 1.2 moves MLP 0's output by its value input, MLPs 1–3 write the answer.
        foreach (var edge in new[] { "input->L0H0<v>", "input->L0H2<v>", "L0H0->MLP0", "MLP0->L1H2<v>", "L1H2->MLP1", "MLP1->logits" })
            Assert.True(circuit.Contains(edge), $"{edge} missing");
    }
}
