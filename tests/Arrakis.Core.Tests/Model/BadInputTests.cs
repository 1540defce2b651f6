using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Model;

public class BadInputTests
{
    private static void AssertNothingAttached(HookedTransformer model) =>
        Assert.DoesNotContain(model.named_modules(), m => m.module is HookPoint p && p.HasHooks);

    [Fact]
    public void ATokenOutsideTheVocabulary_NamesTheArgumentAndTheRange()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(tensor(new long[] { 1, 2, 61 })));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("[0, 61)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(tensor(new long[] { -1, 2 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.RunWithCache(tensor(new long[] { 99 })));
    }

    [Fact]
    public void ASequenceLongerThanNCtx_IsRejectedForLearnedPositions_ButNotForRotary()
    {
        using var scope = NewDisposeScope();
        using var gpt2 = TestModels.Create("gpt2");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => gpt2.Forward(TestModels.Tokens(1, 25)));
        Assert.Contains("n_ctx = 24", e.Message);
        using var llama = TestModels.Create("llama");
        using var noGrad = no_grad();
        Assert.Equal(30, llama.Forward(TestModels.Tokens(1, 30)).shape[1]);
    }

    [Fact]
    public void EmptyBatchesWrongRanksAndDtypes_AreRejected()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => model.Forward(zeros(0, 4, dtype: int64))).Message);
        Assert.Contains("[batch, pos]", Assert.Throws<ArgumentException>(() => model.Forward(zeros(1, 2, 3, dtype: int64))).Message);
        Assert.Contains("Float32", Assert.Throws<ArgumentException>(() => model.Forward(zeros(1, 4))).Message);
        Assert.Contains("[batch, pos, 32]", Assert.Throws<ArgumentException>(() => model.Forward(zeros(1, 4, 7), startAtLayer: 1)).Message);
        Assert.Contains("[2, 5]", Assert.Throws<ArgumentException>(() => model.Forward(TestModels.Tokens(2, 5), attentionMask: ones(2, 4))).Message);
    }

    [Fact]
    public void LayerIndicesOutOfRange_NameTheArgumentAndTheRange()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(TestModels.Tokens(1, 3), stopAtLayer: 3));
        Assert.Equal("stopAtLayer", e.ParamName);
        Assert.Contains("[-2, 2]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(zeros(1, 3, 32), startAtLayer: 2));
        var (_, cache) = model.RunWithCache(TestModels.Tokens(1, 3));
        using (cache)
            Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => cache["resid_pre", 5]).ParamName);
    }

    [Fact]
    public void InvalidConfigurations_NameTheFieldAndTheExpectedValues()
    {
        var cfg = TestModels.Config("llama");
        Assert.Equal("NKeyValueHeads", Assert.Throws<ArgumentException>(() => new HookedTransformer(cfg with { NKeyValueHeads = 3 })).ParamName);
        Assert.Equal("RotaryDim", Assert.Throws<ArgumentException>(() => new HookedTransformer(cfg with { RotaryDim = 7 })).ParamName);
        Assert.Equal("DModel", Assert.Throws<ArgumentException>(() => new HookedTransformer(cfg with { DModel = 0 })).ParamName);
    }

    [Fact]
    public void AMissingCacheEntry_SaysWhichFilterWouldIncludeIt()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var (_, cache) = model.RunWithCache(TestModels.Tokens(1, 3), n => n.EndsWith("hook_z"));
        using (cache)
        {
            var e = Assert.Throws<KeyNotFoundException>(() => cache["blocks.0.attn.hook_pattern"]);
            Assert.Contains("RunWithCache", e.Message);
        }
        AssertNothingAttached(model);
    }
}
