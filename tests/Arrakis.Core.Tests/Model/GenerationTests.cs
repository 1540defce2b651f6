using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Model;

public class GenerationTests
{
    [Theory]
    [MemberData(nameof(TestModels.Families), MemberType = typeof(TestModels))]
    public void KeyValueCachedLogits_MatchTheUncachedForward(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var tokens = TestModels.Tokens(2, 10);
        using var noGrad = no_grad();
        var full = model.Forward(tokens);
        using var cache = new KeyValueCache(model.Cfg.NLayers);
        var first = model.Forward(tokens[.., ..6], cache: cache);
        var pieces = new List<Tensor> { first };
        for (int p = 6; p < 10; p++)
            pieces.Add(model.Forward(tokens[.., p..(p + 1)], cache: cache));
        Assert.Equal(10, cache.Length);
        Assert.True(cat(pieces, 1).allclose(full, rtol: 0, atol: 1e-5));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void GreedyGeneration_WithAndWithoutTheCache_ChoosesTheSameTokens(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var prompt = TestModels.Tokens(2, 4);
        var cached = model.Generate(prompt, 8, temperature: 0);
        var uncached = model.Generate(prompt, 8, temperature: 0, useCache: false);
        Assert.Equal(new long[] { 2, 12 }, cached.shape);
        Assert.True(cached.equal(uncached).all().item<bool>());
        Assert.True(cached[.., ..4].equal(prompt).all().item<bool>());
        // Greedy means each new token is the argmax of the full forward at the previous position.
        using var noGrad = no_grad();
        var logits = model.Forward(cached[.., ..^1]);
        Assert.True(logits[.., 3..].argmax(-1).equal(cached[.., 4..]).all().item<bool>());
    }

    [Fact]
    public void Sampling_IsReproducibleForASeed_AndTopKOneIsGreedy()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var prompt = TestModels.Tokens(1, 3);
        var a = model.Generate(prompt, 6, temperature: 1.0, seed: 11);
        var b = model.Generate(prompt, 6, temperature: 1.0, seed: 11);
        Assert.True(a.equal(b).all().item<bool>());
        var topOne = model.Generate(prompt, 6, temperature: 1.0, topK: 1, seed: 3);
        Assert.True(topOne.equal(model.Generate(prompt, 6, temperature: 0)).all().item<bool>());
        var tinyP = model.Generate(prompt, 6, temperature: 1.0, topP: 1e-6, seed: 3);
        Assert.True(tinyP.equal(model.Generate(prompt, 6, temperature: 0)).all().item<bool>());
    }

    [Fact]
    public void Loss_IsTheMeanNextTokenCrossEntropy_AndIgnoresPaddedTargets()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(2, 7);
        using var noGrad = no_grad();
        var logProbs = model.Forward(tokens).log_softmax(-1);
        double expected = 0;
        for (int b = 0; b < 2; b++)
            for (int p = 0; p < 6; p++)
                expected -= logProbs[b, p, tokens[b, p + 1].item<long>()].item<float>();
        Assert.Equal(expected / 12, model.Loss(tokens).item<float>(), 5);
        Assert.Equal(new long[] { 2, 6 }, model.Loss(tokens, perToken: true).shape);

        var mask = ones(2, 7, dtype: int64);
        mask[1, 4..] = 0; // right padding: targets 4.. of row 1 are padding
        double masked = 0;
        int count = 0;
        for (int b = 0; b < 2; b++)
            for (int p = 0; p < 6; p++)
                if (b == 0 || p + 1 < 4)
                {
                    masked -= model.Forward(tokens, attentionMask: mask).log_softmax(-1)[b, p, tokens[b, p + 1].item<long>()].item<float>();
                    count++;
                }
        Assert.Equal(masked / count, model.Loss(tokens, attentionMask: mask).item<float>(), 5);
    }
}
