using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis;

public class CacheAnalysisBadInputTests
{
    [Fact]
    public void ALayerBeyondNLayers_NamesTheValidRange()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var (_, cache) = model.RunWithCache(TestModels.Tokens(1, 4));
        using (cache)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => cache.DecomposeResid(3));
            Assert.Equal("layer", e.ParamName);
            Assert.Contains("[0, 2]", e.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => cache.AccumulatedResid(-2));
            Assert.Throws<ArgumentOutOfRangeException>(() => cache.GetNeuronResults(2));
        }
    }

    [Fact]
    public void AStackThatDoesNotMatchTheCache_IsRejected()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var (_, cache) = model.RunWithCache(TestModels.Tokens(2, 4));
        using (cache)
        {
            var wrongWidth = Assert.Throws<ArgumentException>(() => cache.ApplyLnToStack(zeros(3, 2, 4, 31)));
            Assert.Contains("d_model (32)", wrongWidth.Message);
            var sliced = cache.DecomposeResid(posSlice: -1).Stack;  // [components, batch, d_model]
            var e = Assert.Throws<ArgumentException>(() => cache.ApplyLnToStack(sliced));  // pos slice forgotten
            Assert.Contains("posSlice", e.Message);
            Assert.Equal(2, cache.ApplyLnToStack(sliced, posSlice: -1).shape[1]);
        }
    }

    [Fact]
    public void ACacheWithoutTheHooksAMethodNeeds_NamesTheMissingHookAndTheFilter()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var (_, cache) = model.RunWithCache(TestModels.Tokens(1, 4), n => n.Contains("resid"));
        using (cache)
        {
            var e = Assert.Throws<KeyNotFoundException>(() => cache.GetFullResidDecomposition());
            Assert.Contains("blocks.0.attn.hook_z", e.Message);
            Assert.Contains("RunWithCache", e.Message);
            var ln = Assert.Throws<KeyNotFoundException>(() => cache.ApplyLnToStack(cache.AccumulatedResid().Stack));
            Assert.Contains("ln_final.hook_scale", ln.Message);
        }
    }

    [Fact]
    public void IncorrectTokensOfAnotherShape_AreRejected_AsAreTokensOutsideTheVocabulary()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var (_, cache) = model.RunWithCache(TestModels.Tokens(2, 4));
        using (cache)
        {
            var stack = cache.DecomposeResid(posSlice: -1).Stack;
            var e = Assert.Throws<ArgumentException>(() => cache.LogitAttrs(stack, tensor(new long[] { 1, 2 }), tensor(new long[] { 3 }), posSlice: -1));
            Assert.Equal("incorrectTokens", e.ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => cache.LogitAttrs(stack, 61, posSlice: -1));
        }
    }

    [Fact]
    public void ApplySliceToBatchDim_KeepsTheSelectedSequences()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(3, 4);
        var (_, cache) = model.RunWithCache(tokens);
        var (_, second) = model.RunWithCache(tokens[1..2]);
        using (cache)
        using (second)
        {
            cache.ApplySliceToBatchDim(1);
            Assert.False(cache.HasBatchDim);
            Assert.True(cache["resid_post", 1].allclose(second["resid_post", 1][0], rtol: 0, atol: 1e-6));
            Assert.Throws<InvalidOperationException>(() => cache.ApplySliceToBatchDim(0));
        }
    }
}
