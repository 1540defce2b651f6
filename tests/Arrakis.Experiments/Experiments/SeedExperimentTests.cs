using Arrakis.Bench;
using Arrakis.Tools;
using static TorchSharp.torch;

namespace Arrakis.Experiments;

/// <summary>
/// The seed examples, called as Arrakis calls them (without the tool arguments), on the shipped trained models. The
/// assertions are about what training put into the models — an induction circuit in attn-only-2l, none in attn-only-1l —
/// and about the records the store keeps. Every threshold was measured first; the measured values are in the comments.
/// </summary>
[Collection(ShippedModelsCollection.Name)]
public sealed class SeedExperimentTests(ShippedModels models)
{
    /// <summary>An IOI prompt in the language model's world (answer: Mary); 15 tokens with the BOS.</summary>
    private const string IoiPrompt = "When Mary and John went to the store, John gave a drink to";

    [Fact]
    public void ResidualDecomposer_OnTheLanguageModel_SplitsEveryLayersInputExactly()
    {
        using var f = new ExperimentFixture(models.Gpt2MiniLanguage);
        using Tensor inputIds = f.Model.ToTokens(IoiPrompt);
        var (_, cache) = f.Model.RunWithCache(inputIds);
        using (cache)
        {
            for (int layer = 0; layer < 4; layer++)
            {
                using var rd = f.Experiment.TestResidualDecomposer(inputIds, layer);

                // One vector per head and MLP of the earlier layers, then the embeddings and the summed biases.
                string[] expected =
                [
                    .. Enumerable.Range(0, layer).SelectMany(l => Enumerable.Range(0, 4).Select(h => $"L{l}H{h}")),
                    .. Enumerable.Range(0, layer).Select(l => $"{l}_mlp_out"),
                    "embed", "pos_embed", "bias",
                ];
                Assert.Equal(expected, rd.Components.Select(c => c.Label));
                // Exact up to float32 rounding: measured ≤ 2.0e-7 relative at every layer of this prompt.
                Assert.InRange(rd.ReconstructionError, 0, 1e-4);
                Assert.True(rd.Vectors.sum(0L).allclose(cache[$"blocks.{layer}.hook_resid_pre"][0, -1], rtol: 1e-4, atol: 1e-5), $"layer {layer}");
                if (layer == 1)
                {
                    // MLP 0 writes the largest vector into layer 1 (measured norm 6.18; next: head L0H1, 3.58): the model
                    // card finds MLP 0 indispensable (ablating it: facts 0.6%, IOI 8%).
                    Assert.Equal("0_mlp_out", rd.Top[0].Label);
                }
            }
        }

        IReadOnlyList<ExperimentRecord> runs = f.Experiment.Store.ReadRuns("MIExperiment.TestResidualDecomposer");
        Assert.Equal([0, 1, 2, 3], runs.Select(r => (int)r.Arguments!["layerIdx"]!));
        ExperimentRecord last = runs[^1];
        Assert.Equal(12 + 3 + 3, last.Result!["components"]!.AsArray().Count);
        Assert.Equal([18, 128], last.Result["Vectors"]!["$tensor"]!["shape"]!.AsArray().Select(n => (int)n!));
        Assert.Equal("gpt2-mini-language", last.Model!.Name);
        Assert.Equal(("Arrakis.Tools.Decomposer.ResidualDecomposer", "Arrakis.Tools.Decomposer"),
            (Assert.Single(last.Tools).Implementation, last.Tools[0].Assembly));
        Assert.Empty(f.Warnings);
    }

    [Fact]
    public void MlpBasis_ReadsTheLanguageModelsMlps_AndIsRefusedOnAnAttentionOnlyModel()
    {
        using (var f = new ExperimentFixture(models.Gpt2MiniLanguage))
        {
            using MlpBasisResult basis = f.Experiment.TestMlpBasis(0);

            // W_in [128, 512] and W_out [512, 128]: 128 directions each, in d_model = 128.
            Assert.Equal([128L, 128L], basis.Read.Directions.shape);
            Assert.Equal([128L, 128L], basis.Write.Directions.shape);
            Assert.Equal(1, basis.Read.ExplainedVariance.Sum(), 6);
            Assert.False(basis.Gated);
        }

        using (var f = new ExperimentFixture(models.AttnOnly2L))
        {
            var e = Assert.Throws<InvalidOperationException>(() => f.Experiment.TestMlpBasis(0));
            Assert.Contains("attention-only", e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Equal("failed", Assert.Single(f.Experiment.Store.ReadRuns("MIExperiment.TestMlpBasis")).Status);
        }
    }

    [Fact]
    public void LogitAttributor_OnRepeatedTokens_ALayer1HeadWritesTheRepeatedToken()
    {
        using var f = new ExperimentFixture(models.AttnOnly2L);
        for (int seed = 1; seed <= 8; seed++)
        {
            // <|endoftext|> x₁…x₂₀ x₁…x₂₀: at the last position (x₂₀) induction predicts x₁, the token after x₂₀'s first occurrence.
            using Tensor inputIds = MIExperiment.RepeatedTokens(seed);
            int repeated = (int)inputIds[0, 1].item<long>();

            var result = f.Experiment.TestLogitAttributor(inputIds, repeated, 2);

            var attribution = Assert.IsType<LogitAttributionResult>(result["logit_attribution"]);
            var directMoves = Assert.IsType<TokenCirculationResult>(result["direct_moves"]);
            // The largest direct attribution is a layer-1 (induction) head. Measured over seeds 1–12: the largest is always
            // one of L1H0–L1H3, 3.07–5.12 logits, and every other component (layer-0 heads, embeddings, biases) ≤ 0.78,
            // at least 4.6× smaller; the test asks for 3×.
            LabeledValue largest = attribution.Largest;
            double bestElse = attribution.Components.Where(c => !c.Label.StartsWith("L1H", StringComparison.Ordinal)).Max(c => c.Value);
            Assert.True(largest.Label.StartsWith("L1H", StringComparison.Ordinal), $"seed {seed}: largest attribution {largest}");
            Assert.True(largest.Value > 3 * bestElse, $"seed {seed}: {largest} vs {bestElse:F3} for the best component outside layer 1");
            // Layer 1's attention moves the logit up by 10.6–12.7 (measured) to rank 0; after layer 0 alone the logit lens
            // ranks it 2nd–249th. One layer cannot know which token followed x₂₀ the last time.
            Assert.Equal(0, directMoves.Steps[1].LensRank);
            Assert.True(directMoves.Steps[0].LensRank > 0, $"seed {seed}: layer 0 alone already ranks the repeated token first");
            Assert.True(directMoves.Steps[1].AttentionMove > 8, $"seed {seed}: layer 1's attention moves the logit by {directMoves.Steps[1].AttentionMove:F3}");
            Assert.Equal(attribution.Logit, directMoves.Steps[^1].LensLogit, 4);
        }

        ExperimentRecord run = f.Experiment.Store.ReadRuns("MIExperiment.TestLogitAttributor")[^1];
        Assert.Equal("ok", run.Status);
        Assert.Matches("^[0-9a-f]{12}$", run.CodeVersion);
        Assert.Equal("Experiments/MIExperiment.cs", run.SourcePath);
        Assert.Equal([1, 41], run.Arguments!["inputIds"]!["$tensor"]!["shape"]!.AsArray().Select(n => (int)n!));
        Assert.Equal(2, run.Result!["direct_moves"]!["steps"]!.AsArray().Count);
        Assert.Equal(4 * 2 + 3, run.Result["logit_attribution"]!["components"]!.AsArray().Count);
        ToolRecord tool = Assert.Single(run.Tools);
        Assert.Equal(("logit", "Arrakis.Tools.Logit.LogitAttributor", "Arrakis.Tools.Logit"), (tool.Name, tool.Implementation, tool.Assembly));
        Assert.Equal("attn-only-2l", run.Model!.Name);
        Assert.Matches("^[0-9a-f]{64}$", run.Model.WeightsHash);
        Assert.Equal(8, f.Experiment.ListVersions("MIExperiment.TestLogitAttributor").Single().Runs);

        ExperimentVersion version = f.Experiment.GetVersion("MIExperiment.TestLogitAttributor", run.CodeVersion)!;
        Assert.StartsWith("/// <summary>Seed 002:", version.Source);
        Assert.Contains("public Dictionary<string, object> TestLogitAttributor(Tensor inputIds, int targetIdx, int nLayers, ILogitAttributor logit)", version.Source);
    }

    [Fact]
    public void AttentionComposer_ThePreviousTokenHeadKComposesMostIntoTheStrongestInductionHead()
    {
        using var f = new ExperimentFixture(models.AttnOnly2L);
        HeadIndex induction = (1, 2);

        var results = Enumerable.Range(0, 4).Select(writer => f.Experiment.TestAttentionComposer((0, writer), induction, 0.5)).ToList();

        var compositions = results.Select(r => Assert.IsType<HeadCompositionResult>(r["head_composition"])).ToList();
        var patching = results.Select(r => Assert.IsType<AttentionPathPatchingResult>(r["attention_path_patching"])).ToList();
        try
        {
            // K-composition into L1H2 (weights, folded layer norms): measured 0.167, 0.192, 0.238, 0.148 for L0H0–L0H3,
            // random heads 0.125. The previous-token head L0H2 ranks first.
            Assert.Equal(2, Enumerable.Range(0, 4).MaxBy(w => compositions[w].KComposition));
            Assert.True(compositions[2].KComposition > compositions[2].RandomBaseline, $"{compositions[2]}");
            // Path patching on 8 repeated sequences (mean log-probability of the next token): mean-ablating L0H2 along the
            // path into L1H2 alone carries 60% of the effect of mean-ablating it everywhere (clean −3.154, patched −4.082,
            // ablated everywhere −4.694); the other layer-0 heads' paths into L1H2 carry 11–29% of their (much smaller) effects.
            Assert.All(patching, p => Assert.Equal(("mean-ablation", PathInput.All), (p.Corruption, p.Through)));
            Assert.True(patching[2].Fraction > 0.4, $"{patching[2]}");
            Assert.Equal(2, Enumerable.Range(0, 4).MaxBy(w => patching[w].Fraction));
            Assert.True(patching[2].Clean - patching[2].Patched > 0.5, $"the L0H2 → L1H2 path costs {patching[2].Clean - patching[2].Patched:F3} nats");
        }
        finally
        {
            compositions.ForEach(c => c.Dispose());
        }

        IReadOnlyList<ExperimentRecord> runs = f.Experiment.Store.ReadRuns("MIExperiment.TestAttentionComposer");
        Assert.Equal(4, runs.Count);
        Assert.Equal(compositions[2].KComposition, (double)runs[2].Result!["head_composition"]!["kComposition"]!, 6);
        Assert.Equal([64, 16], runs[2].Result!["head_composition"]!["mergedHeadWeights"]!["W_Q"]!["$tensor"]!["shape"]!.AsArray().Select(n => (int)n!));

        // The seed's own pair, (0, 0) and (0, 1), sits in one layer and cannot compose: refused, naming both heads, and
        // the failed run is recorded.
        var e = Assert.Throws<ArgumentException>(() => f.Experiment.TestAttentionComposer((0, 0), (0, 1), 0.5));
        Assert.Contains("head1 L0H0 cannot compose into head2 L0H1", e.Message);
        Assert.Equal("failed", f.Experiment.Store.ReadRuns("MIExperiment.TestAttentionComposer")[^1].Status);
    }

    [Fact]
    public void Hypothesis_TheInductionModelPredictsTheRepeatedToken_TheOneLayerModelBarely()
    {
        using var two = new ExperimentFixture(models.AttnOnly2L, sampleSeed: 1);
        using var one = new ExperimentFixture(models.AttnOnly1L, sampleSeed: 1);

        two.Experiment.RepeatedTokenLead(20);
        one.Experiment.RepeatedTokenLead(20);

        HypothesisResult h = two.Experiment.LastRun!.Hypothesis!;
        Assert.Equal(("SeenTokenLogit", "RepeatedTokenLogit", 30, 0.05), (h.NullFunction, h.AlternativeFunction, h.Samples, h.Alpha));
        Assert.Equal(h, Assert.Single(two.Experiment.Store.ReadRuns("MIExperiment.RepeatedTokenLead")).Hypothesis);
        // attn-only-2l: the token that followed last time gets 11.2–11.6 logits more than another word of the same sequence
        // (measured with sampler seeds 0–3: means ≈ 11.5 vs ≈ 0.3, t ≈ −23 to −30, p < 1e-22). The test asks for 5 logits.
        Assert.True(h.RejectNull, $"p = {h.P}");
        Assert.True(h.P < 1e-10, $"p = {h.P}");
        Assert.True(h.AlternativeMean - h.NullMean > 5, $"{h}");

        // attn-only-1l, trained on the same data, has no induction head: its lead is 0.02–0.67 logits (seeds 0–3). That
        // difference is sometimes significant at 5% (p = 0.035 with seed 1: the model has a slight preference of its own),
        // so the control asserts the size of the effect, not the decision: under 2 logits and a fifth of the 2-layer model's.
        HypothesisResult control = one.Experiment.LastRun!.Hypothesis!;
        double lead = control.AlternativeMean - control.NullMean;
        Assert.True(Math.Abs(lead) < 2, $"{control}");
        Assert.True(Math.Abs(lead) < (h.AlternativeMean - h.NullMean) / 5, $"1 layer {lead:F3} vs 2 layers {h.AlternativeMean - h.NullMean:F3}");
    }

    /// <summary>
    /// The control the shipped models cannot give: attn-only-2l's architecture with random weights (seeded) fails what the
    /// trained model passes, so the assertions above are about training, not about the architecture or the tools.
    /// </summary>
    [Fact]
    public void UntrainedTwin_HasNoInductionToFind()
    {
        using var untrained = new HookedTransformer(models.AttnOnly2L.Cfg with { Seed = 11 });
        using var f = new ExperimentFixture(untrained, sampleSeed: 1);

        // The repeated token after layer 1: measured lens ranks 71, 199, 12, 29 for seeds 1–4 (trained: 0 for all of 1–12);
        // a random ranking would put it first with probability 1/300.
        for (int seed = 1; seed <= 4; seed++)
        {
            using Tensor inputIds = MIExperiment.RepeatedTokens(seed);
            var directMoves = Assert.IsType<TokenCirculationResult>(f.Experiment.TestLogitAttributor(inputIds, (int)inputIds[0, 1].item<long>(), 2)["direct_moves"]);
            Assert.NotEqual(0, directMoves.Steps[1].LensRank);
        }

        // The hypothesis: measured lead −0.03 logits, p = 0.88 (trained: 11.6 logits, p ≈ 4e-30).
        f.Experiment.RepeatedTokenLead(20);
        HypothesisResult h = f.Experiment.LastRun!.Hypothesis!;
        Assert.False(h.RejectNull, $"{h}");
        Assert.True(Math.Abs(h.AlternativeMean - h.NullMean) < 1, $"{h}");
    }

    [Fact]
    public void Tools_AreResolvedOnEveryCall_SoAReplacedToolIsUsed()
    {
        using var f = new ExperimentFixture(models.Gpt2MiniLanguage);
        using Tensor inputIds = f.Model.ToTokens(IoiPrompt);
        using var first = f.Experiment.TestResidualDecomposer(inputIds, 1);
        f.Registry.Set("decomposer", new FixedDecomposer());

        using var second = f.Experiment.TestResidualDecomposer(inputIds, 1);

        Assert.Equal(4 + 1 + 3, first.Components.Count);
        Assert.Equal(["fixed"], second.Components.Select(c => c.Label));
    }

    [Fact]
    public void ProfileModel_MeasuresEveryLayerAndComponentThroughHookPoints()
    {
        using var f = new ExperimentFixture(models.Gpt2MiniLanguage);
        using Tensor inputIds = f.Model.ToTokens(IoiPrompt);

        Assert.Equal(12 + 3 + 3, f.Experiment.ProfileForward(inputIds));

        ModelProfile profile = f.Experiment.LastRun!.Profile!;
        Assert.Equal(
            ["blocks.0", "blocks.1", "blocks.2", "blocks.3",
             "blocks.0.attn", "blocks.0.mlp", "blocks.1.attn", "blocks.1.mlp", "blocks.2.attn", "blocks.2.mlp", "blocks.3.attn", "blocks.3.mlp"],
            profile.Units.Select(u => u.Name));
        Assert.All(profile.Units, u => Assert.Equal(1, u.Passes));
        Assert.All(profile.Units, u => Assert.True(u.WallMs > 0 && u.ActivationBytes > 0, u.Name));
        Assert.Equal(1, profile.Units.Take(4).Sum(u => u.TimeFraction), 9);
        Assert.Equal(1, profile.Units.Skip(4).Sum(u => u.MemoryFraction), 9);
        // A layer's hook points include its components' (and its residual stream's), so it holds more bytes.
        Assert.True(profile.Units[0].ActivationBytes > profile.Units[4].ActivationBytes + profile.Units[5].ActivationBytes);
        // resid_pre [1, 15, 128] float32 is one of layer 0's activations.
        Assert.True(profile.Units[0].ActivationBytes >= 15 * 128 * 4);
        Assert.False(f.Model.GetHookPoint("blocks.0.hook_resid_pre").HasHooks, "the profiler's hooks are detached after the run");
    }

    private sealed class FixedDecomposer : IResidualDecomposer
    {
        public MlpBasisResult MlpBasis(int layerIdx) => throw new NotSupportedException();

        public ResidualDecompositionResult DecomposeResidual(Tensor inputIds, int layerIdx, int topK = 10, bool afterLayer = false, bool perNeuron = false,
            int position = -1, Tensor? direction = null, int batchIndex = 0)
        {
            var fixedComponent = new ResidualComponent("fixed", 0, null);
            return new ResidualDecompositionResult(layerIdx, afterLayer, "fixed", 0, 0, "norm", [fixedComponent], [fixedComponent], 0, zeros(1, 128));
        }
    }
}
