using Arrakis.Tests.Analysis;
using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

[Collection(ToolsCollection.Name)]
public sealed class ComposerTests(BuiltInTools tools)
{
    private static readonly HeadIndex PreviousToken = InductionGroundTruth.PreviousTokenHead, Induction = InductionGroundTruth.InductionHead,
        UnrelatedWriter = InductionGroundTruth.UnrelatedWriter;

    [Fact]
    public void OnTheHandBuiltCircuit_KComposition_RanksThePreviousTokenToInductionPairFirst()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var composer = tools.Composer(model);

        var all = composer.AllCompositionScores(CompositionKind.K);

        Assert.Equal(4, all.Pairs.Count);   // 2 writers in layer 0 × 2 readers in layer 1
        Assert.Equal((PreviousToken, Induction), (all.Pairs[0].Writer, all.Pairs[0].Reader));
        // L0H0 copies 8 token dimensions into 8 "previous token" dimensions that L1H0's key reads one to one: a rank-8
        // identity, which scores 1/√8 ≈ 0.354 (the score is ‖LR‖/(‖L‖‖R‖)); random heads of these shapes score ≈ 1/√44.
        Assert.Equal(1 / Math.Sqrt(8), all.Pairs[0].Score, 4);
        Assert.True(all.Pairs[0].Score > 2 * all.RandomBaseline, all.ToString());
        Assert.All(all.Pairs.Skip(1), p => Assert.Equal(0, p.Score, 6));

        using var hc = composer.HeadComposition(PreviousToken, Induction);
        Assert.Equal(all.Pairs[0].Score, hc.KComposition, 5);
        Assert.Equal(0, hc.QComposition, 5);   // the query reads the current token, which L0H0 does not write
        Assert.Equal(0, hc.VComposition, 5);   // nor does the value
        Assert.Equal(1 / Math.Sqrt(InductionGroundTruth.DModel), hc.RandomBaseline, 1);
    }

    [Fact]
    public void CompositionScores_MatchTheFormula_OnMaterialisedWeights()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");   // grouped-query attention: key/value heads expanded
        HeadIndex writer = (0, 3), reader = (1, 2);

        using var hc = tools.Composer(model).HeadComposition(writer, reader, alpha: 0.25);

        var ov = model.W_VExpanded[0, 3].matmul(model.W_O[0, 3]);
        var qk = model.W_Q[1, 2].matmul(model.W_KExpanded[1, 2].T);
        var ovReader = model.W_VExpanded[1, 2].matmul(model.W_O[1, 2]);
        double Score(Tensor l, Tensor r) => l.matmul(r).norm().item<float>() / (l.norm().item<float>() * r.norm().item<float>());
        Assert.Equal(Score(ov, qk), hc.QComposition, 5);
        Assert.Equal(Score(ov, qk.T), hc.KComposition, 5);
        Assert.Equal(Score(ov, ovReader), hc.VComposition, 5);
        foreach (var kind in Enum.GetValues<CompositionKind>())
            Assert.Equal(model.AllCompositionScores(kind)[0, 3, 1, 2].item<float>(), hc[kind], 5);

        // The seed's alpha: Arrakis's blend of the two heads' weights, returned under its own name.
        var merged = hc.MergedHeadWeights;
        Assert.Equal(0.25, merged.Alpha);
        Assert.True(merged.W_Q.allclose((model.W_Q[0, 3] + model.W_Q[1, 2]) / 2));
        Assert.True(merged.W_K.allclose((model.W_KExpanded[0, 3] + model.W_KExpanded[1, 2]) / 2));
        Assert.True(merged.W_O.allclose(0.25 * model.W_O[0, 3] + 0.75 * model.W_O[1, 2]));
        Assert.Contains("Arrakis's blend, not a composition measure", hc.ToString());
    }

    [Fact]
    public void OnTheHandBuiltCircuit_PatchingTheKeyPath_RemovesMostOfTheInductionMetric_AndAnUnrelatedPathDoesNot()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(16);
        var composer = tools.Composer(model);

        var circuit = composer.AttentionPathPatching(tokens, PreviousToken, Induction, PathInput.Key, InductionGroundTruth.InductionMetric);
        var unrelated = composer.AttentionPathPatching(tokens, UnrelatedWriter, Induction, PathInput.Key, InductionGroundTruth.InductionMetric);
        var everyInput = composer.AttentionPathPatching(tokens, PreviousToken, Induction, metric: InductionGroundTruth.InductionMetric);

        Assert.Equal("mean-ablation", circuit.Corruption);
        Assert.True(circuit.Clean > circuit.Corrupted + 1, $"mean-ablating the previous-token head breaks induction: {circuit}");
        Assert.True(circuit.Fraction >= 0.8, circuit.ToString());
        Assert.True(everyInput.Fraction >= 0.8, everyInput.ToString());
        double removed = (unrelated.Clean - unrelated.Patched) / (circuit.Clean - circuit.Corrupted);
        Assert.True(Math.Abs(removed) <= 0.1, $"the unrelated path removes {removed:P1} of the induction effect: {unrelated}");
    }

    [Fact]
    public void WithAnExplicitCorruptedInput_TheCorruptedRunIsTheBaseline()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var clean = InductionGroundTruth.RepeatedSequences(8, seed: 1);
        var corrupted = InductionGroundTruth.RepeatedSequences(8, seed: 2);

        var result = tools.Composer(model).AttentionPathPatching(clean, PreviousToken, Induction, corrupted, InductionGroundTruth.InductionMetric, PathInput.Key);

        Assert.Equal("corrupted-input", result.Corruption);
        using (no_grad())
            Assert.Equal(InductionGroundTruth.InductionMetric(model.Forward(corrupted), clean).mean().item<float>(), result.Corrupted, 4);
        var core = PathPatching.Run(model, clean, PreviousToken, Induction, PathInput.Key, corrupted, InductionGroundTruth.InductionMetric);
        Assert.Equal((core.Clean, core.Corrupted, core.Patched), (result.Clean, result.Corrupted, result.Patched));
        Assert.True(result.Fraction >= 0.8, result.ToString());
    }

    [Fact]
    public void ManyPairs_RunBatched_AndEqualOnePairAtATime()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(2, 6);
        var composer = tools.Composer(model);

        var all = composer.AttentionPathPatching(tokens, []);   // empty: every composable pair

        Assert.Equal(16, all.Paths.Count);
        Assert.Equal((new HeadIndex(0, 0), new HeadIndex(1, 0)), (all.Paths[0].Sender, Assert.Single(all.Paths[0].Receivers)));
        foreach (var path in all.Paths.Where((_, i) => i % 5 == 0))
        {
            var single = composer.AttentionPathPatching(tokens, path.Sender, Assert.Single(path.Receivers));
            Assert.Equal(single.Patched, path.Patched, 4);
            Assert.Equal(single.Corrupted, path.Corrupted, 4);
        }
        var two = composer.AttentionPathPatching(tokens, [((0, 1), (1, 3)), ((0, 2), (1, 0))], PathInput.Value);
        Assert.Equal([PathInput.Value, PathInput.Value], two.Paths.Select(p => p.Through));
    }
}
