using Arrakis.Components;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Model;

public class ForwardTests
{
    [Theory]
    [MemberData(nameof(TestModels.Families), MemberType = typeof(TestModels))]
    public void Forward_MatchesAPlainReferenceComputation(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var tokens = TestModels.Tokens(3, 11);
        var logits = model.Forward(tokens);
        var expected = ReferenceTransformer.Logits(model, tokens);
        Assert.Equal(new long[] { 3, 11, 61 }, logits.shape);
        double error = (logits - expected).abs().max().item<float>();
        Assert.True(error <= 1e-5, $"{family}: max |logits − reference| = {error}");
    }

    [Theory]
    [MemberData(nameof(TestModels.Families), MemberType = typeof(TestModels))]
    public void ChangingLaterTokens_NeverChangesEarlierLogits(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var tokens = TestModels.Tokens(2, 12);
        var changed = tokens.clone();
        changed[.., 7..] = (changed[.., 7..] + 3) % 61;
        using var noGrad = no_grad();
        var a = model.Forward(tokens);
        var b = model.Forward(changed);
        Assert.True(a[.., ..7].allclose(b[.., ..7], rtol: 0, atol: 1e-6));
        Assert.False(a[.., 7..].allclose(b[.., 7..], rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void Rotary_ShiftingAllPositionsByAConstant_LeavesScoresUnchanged()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var q = randn(1, 6, 2, 16, dtype: float64);
        var k = randn(1, 6, 2, 16, dtype: float64);
        Tensor Scores(long offset)
        {
            var positions = arange(offset, offset + 6, dtype: int64).unsqueeze(0);
            var rq = Rotary.Apply(q, positions, 12, 10000);
            var rk = Rotary.Apply(k, positions, 12, 10000);
            return rq.permute(0, 2, 1, 3).matmul(rk.permute(0, 2, 3, 1));
        }
        var baseScores = Scores(0);
        Assert.True(baseScores.allclose(Scores(37), rtol: 0, atol: 1e-9));
        Assert.True(baseScores.allclose(Scores(1000), rtol: 0, atol: 1e-9));
        // Rotation is not the identity: unrotated scores differ.
        Assert.False(baseScores.allclose(q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1)), rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void GroupedQueryAttention_EqualsMultiHeadAttentionWithRepeatedKeyValueHeads()
    {
        using var scope = NewDisposeScope();
        using var gqa = TestModels.Create("llama");
        using var mha = new HookedTransformer(gqa.Cfg with { NKeyValueHeads = null });
        using (no_grad())
        {
            var source = gqa.state_dict();
            foreach (var (name, p) in mha.named_parameters())
            {
                var value = source[name];
                if (name.EndsWith("attn.W_K") || name.EndsWith("attn.W_V") || name.EndsWith("attn.b_K") || name.EndsWith("attn.b_V"))
                    value = value.repeat_interleave(gqa.Cfg.NHeads / gqa.Cfg.EffectiveKeyValueHeads, dim: 0);
                p.copy_(value);
            }
        }
        var tokens = TestModels.Tokens(2, 9);
        Assert.True(gqa.Forward(tokens).allclose(mha.Forward(tokens), rtol: 0, atol: 1e-5));
        Assert.Equal(new long[] { 2, 2, 32, 8 }, gqa.W_K.shape);
        Assert.Equal(new long[] { 2, 4, 32, 8 }, gqa.W_KExpanded.shape);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void LeftPadding_WithAMask_GivesTheUnpaddedLogits(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var tokens = TestModels.Tokens(1, 6);
        var padded = cat([zeros(1, 3, dtype: int64), tokens], 1);
        var mask = cat([zeros(1, 3, dtype: int64), ones(1, 6, dtype: int64)], 1);
        using var noGrad = no_grad();
        var plain = model.Forward(tokens);
        var fromPadded = model.Forward(padded, attentionMask: mask)[.., 3..];
        Assert.True(plain.allclose(fromPadded, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void StopAtLayer_ReturnsTheResidualThatStartAtLayerContinuesFrom()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(2, 8);
        using var noGrad = no_grad();
        var residual = model.Forward(tokens, stopAtLayer: 1);
        Assert.Equal(new long[] { 2, 8, 32 }, residual.shape);
        Assert.True(model.Forward(residual, startAtLayer: 1).allclose(model.Forward(tokens), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Seed_MakesInitialisationDeterministic()
    {
        using var scope = NewDisposeScope();
        using var a = new HookedTransformer(TestModels.Config("llama", seed: 9));
        using var b = new HookedTransformer(TestModels.Config("llama", seed: 9));
        using var c = new HookedTransformer(TestModels.Config("llama", seed: 10));
        Assert.True(a.W_Q.allclose(b.W_Q, rtol: 0, atol: 0));
        Assert.False(c.W_Q.allclose(a.W_Q, rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void ArrakisLlamaExample_HasACSharpTwinThatRuns()
    {
        using var scope = NewDisposeScope();
        var config = HookedAutoConfig.Create("llama");
        using var model = new HookedAutoModel(config);
        var inputIds = randint(0, 50256, [1, 50]);
        using var noGrad = no_grad();
        var logits = model.Forward(inputIds);
        Assert.Equal(new long[] { 1, 50, config.DVocab }, logits.shape);
        Assert.False(logits.isnan().any().item<bool>());
    }

    [Fact]
    public void UnknownFamily_ListsTheSupportedOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => HookedAutoConfig.Create("bert"));
        Assert.Contains("bert", e.Message);
        foreach (string family in HookedAutoConfig.Families)
            Assert.Contains(family, e.Message);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("gpt-neo")]
    [InlineData("gpt-neox")]
    [InlineData("llama")]
    [InlineData("gemma")]
    [InlineData("phi3")]
    [InlineData("qwen2")]
    [InlineData("mistral")]
    [InlineData("stable-lm")]
    public void EveryFamily_BuildsAndMatchesTheReference(string family)
    {
        using var scope = NewDisposeScope();
        var cfg = HookedAutoConfig.Create(family, vocabSize: 40, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, slidingWindow: family is "gpt-neo" or "mistral" ? 3 : null);
        using var model = new HookedTransformer(cfg);
        var tokens = TestModels.Tokens(2, 7, vocab: 40);
        var error = (model.Forward(tokens) - ReferenceTransformer.Logits(model, tokens)).abs().max().item<float>();
        Assert.True(error <= 1e-5, $"{family}: {error}");
    }
}
