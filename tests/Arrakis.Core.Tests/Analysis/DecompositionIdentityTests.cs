using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis;

/// <summary>The identities the cache analysis rests on, for every family, before and after weight processing (float32, ≤ 1e-4).</summary>
public class DecompositionIdentityTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Cases =>
        from family in new[] { "gpt2", "llama", "neox", "attn-only" }
        from processed in new[] { false, true }
        select new object[] { family, processed };

    private static (HookedTransformer Model, Tensor Tokens, Tensor Logits, ActivationCache Cache) Run(string family, bool processed)
    {
        var model = TestModels.Create(family);
        if (processed)
            model.ProcessWeights();
        var tokens = TestModels.Tokens(2, 6);
        var (logits, cache) = model.RunWithCache(tokens);
        return (model, tokens, logits, cache);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= Tolerance, $"{what}: max error {error}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheStreamAtEveryPoint_IsTheSumOfItsDecompositions(string family, bool processed)
    {
        using var scope = NewDisposeScope();
        var (model, _, _, cache) = Run(family, processed);
        using (model)
        using (cache)
        {
            bool hasMid = !model.Cfg.AttnOnly && !model.Cfg.ParallelAttnMlp;
            for (int layer = 0; layer <= model.Cfg.NLayers; layer++)
            {
                foreach (bool mlpInput in layer < model.Cfg.NLayers && hasMid ? new[] { false, true } : [false])
                {
                    var stream = layer == model.Cfg.NLayers ? cache["resid_post", -1]
                        : mlpInput ? cache["resid_mid", layer] : cache["resid_pre", layer];
                    AssertClose(stream, cache.DecomposeResid(layer, mlpInput).Stack.sum(0L), $"DecomposeResid({layer}, {mlpInput})");
                    var full = cache.GetFullResidDecomposition(layer, mlpInput);
                    AssertClose(stream, full.Stack.sum(0L), $"GetFullResidDecomposition({layer}, {mlpInput})");
                    Assert.Equal(full.Stack.shape[0], full.Labels.Count);
                    AssertClose(stream, cache.GetFullResidDecomposition(layer, mlpInput, expandNeurons: false).Stack.sum(0L), $"unexpanded ({layer}, {mlpInput})");
                }
            }
            AssertClose(cache["resid_post", -1], cache.StackHeadResults(inclRemainder: true).Stack.sum(0L), "heads + remainder");
            if (!model.Cfg.AttnOnly)
                AssertClose(cache["resid_post", -1], cache.StackNeuronResults(inclRemainder: true).Stack.sum(0L), "neurons + remainder");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FrozenLnOfTheComponents_SumsToTheFinalNormsOutput(string family, bool processed)
    {
        using var scope = NewDisposeScope();
        var (model, _, _, cache) = Run(family, processed);
        using (model)
        using (cache)
        {
            var scaled = cache.ApplyLnToStack(cache.GetFullResidDecomposition().Stack).sum(0L);
            var lnOut = model.ln_final.w is { } w ? scaled * w.detach() + (model.ln_final.b?.detach() ?? zeros(1)) : scaled;
            AssertClose(cache["unembed.hook_in"], lnOut, "Σ ApplyLnToStack ⊙ w + b");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DirectLogitAttributions_SumToTheLogitAndTheLogitDifference(string family, bool processed)
    {
        using var scope = NewDisposeScope();
        var (model, _, logits, cache) = Run(family, processed);
        using (model)
        using (cache)
        {
            const long correct = 7, incorrect = 30;
            var full = cache.GetFullResidDecomposition();
            var attrs = cache.LogitAttrs(full.Stack, correct);                    // [components, batch, pos]
            var bias = model.EffectiveUnembedBias;
            AssertClose(logits[.., .., correct] - bias[correct], attrs.sum(0L), "Σ DLA = logit − bias");
            var difference = cache.LogitAttrs(full.Stack, correct, incorrect).sum(0L);
            AssertClose(logits[.., .., correct] - logits[.., .., incorrect] - (bias[correct] - bias[incorrect]), difference, "Σ DLA = logit difference");
            if (processed)
                AssertClose(logits[.., .., correct] - model.b_U[correct], attrs.sum(0L), "after fold_ln the bias is b_U");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheLogitLensAtTheFinalLayer_IsTheModelsLogits(string family, bool processed)
    {
        using var scope = NewDisposeScope();
        var (model, _, logits, cache) = Run(family, processed);
        using (model)
        using (cache)
        {
            var lens = cache.AccumulatedResid(applyLn: true);
            Assert.Equal("final_post", lens.Labels[^1]);
            Assert.Equal(model.Cfg.NLayers + 1, lens.Labels.Count);
            AssertClose(logits, lens.Stack[-1].matmul(model.W_U) + model.b_U, "logit lens at final_post");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ProjectedDecomposition_EqualsProjectingTheFullOne(string family, bool processed)
    {
        using var scope = NewDisposeScope();
        var (model, _, _, cache) = Run(family, processed);
        using (model)
        using (cache)
        {
            var direction = randn(model.Cfg.DModel, generator: new Generator(3));
            var matrix = randn(model.Cfg.DModel, 3, generator: new Generator(4));
            foreach (bool applyLn in new[] { false, true })
            {
                var full = cache.GetFullResidDecomposition(applyLn: applyLn).Stack;
                AssertClose(full.matmul(direction), cache.GetFullResidDecomposition(applyLn: applyLn, projectOutputOnto: direction).Stack, $"vector, applyLn {applyLn}");
                AssertClose(full.matmul(matrix), cache.GetFullResidDecomposition(applyLn: applyLn, projectOutputOnto: matrix).Stack, $"matrix, applyLn {applyLn}");
            }
        }
    }

    [Fact]
    public void PosSlices_SelectPositionsEverywhere()
    {
        using var scope = NewDisposeScope();
        var (model, tokens, logits, cache) = Run("gpt2", false);
        using (model)
        using (cache)
        {
            var last = cache.GetFullResidDecomposition(posSlice: -1);
            Assert.Equal(new long[] { last.Labels.Count, 2, 32 }, last.Stack.shape);
            AssertClose(cache["resid_post", -1][.., -1], last.Stack.sum(0L), "last position");
            var attrs = cache.LogitAttrs(last.Stack, tokens[.., -1], posSlice: -1);  // one token per batch element
            AssertClose(logits[0, -1, tokens[0, -1].item<long>()] - model.EffectiveUnembedBias[tokens[0, -1].item<long>()], attrs.sum(0L)[0], "per-batch tokens");
            var some = cache.DecomposeResid(posSlice: new long[] { 0, 2 });
            Assert.Equal(new long[] { some.Labels.Count, 2, 2, 32 }, some.Stack.shape);
            var range = cache.AccumulatedResid(posSlice: 1..4);
            Assert.Equal(new long[] { 3, 2, 3, 32 }, range.Stack.shape);
        }
    }

    [Fact]
    public void Labels_FollowTransformerLensConventions()
    {
        using var scope = NewDisposeScope();
        var (model, _, _, cache) = Run("gpt2", false);
        using (model)
        using (cache)
        {
            Assert.Equal(["0_pre", "0_mid", "1_pre", "1_mid", "final_post"], cache.AccumulatedResid(inclMid: true).Labels);
            Assert.Equal(["embed", "pos_embed", "0_attn_out", "0_mlp_out", "1_attn_out"], cache.DecomposeResid(1, mlpInput: true).Labels);
            var full = cache.GetFullResidDecomposition(1).Labels;
            Assert.Equal("L0H0", full[0]);
            Assert.Equal("L0N0", full[4]);
            Assert.Equal(["embed", "pos_embed", "bias"], full.TakeLast(3));
            Assert.Equal(4 + model.Cfg.DMlp + 3, full.Count);
            // Layer 0 has no heads before it: an empty stack of the right shape, and the remainder is the whole stream.
            Assert.Equal(new long[] { 0, 2, 6, 32 }, cache.StackHeadResults(0).Stack.shape);
            var onlyRemainder = cache.StackHeadResults(0, inclRemainder: true);
            Assert.Equal(["remainder"], onlyRemainder.Labels);
            Assert.True(onlyRemainder.Stack[0].allclose(cache["resid_pre", 0], rtol: 0, atol: 0));
        }
    }
}
