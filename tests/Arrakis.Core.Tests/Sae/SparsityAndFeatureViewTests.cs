using Arrakis.Sae;
using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Sae;

public sealed class SparsityAndFeatureViewTests
{
    private const string Host = "blocks.1.hook_mlp_out";

    [Fact]
    public void SparsityOfSplicedLatents_MatchesTheCache()
    {
        using var model = TestModels.Create("gpt2");
        using var sae = SaeTestData.Random(new SaeConfig { DIn = 32, DSae = 64, HookName = Host });
        using var splice = SaeSplice.Attach(model, sae, useErrorTerm: true);
        var batches = new[] { TestModels.Tokens(2, 10, seed: 1), TestModels.Tokens(2, 10, seed: 2) };
        var result = ActivationSparsity.Measure(model, splice.SaeHookName("hook_sae_acts_post"), batches);
        Assert.Equal(40, result.Positions);
        Assert.Equal(64, result.Frequency.Count);
        // By hand from the cache: fraction of the 40 positions where each latent is > 0.
        var expected = new double[64];
        foreach (var tokens in batches)
        {
            var (logits, cache) = model.RunWithCache(tokens);
            using (logits) using (cache)
            {
                var acts = cache[splice.SaeHookName("hook_sae_acts_post")].reshape(-1, 64).data<float>().ToArray();
                for (int i = 0; i < acts.Length; i++)
                    if (acts[i] > 0) expected[i % 64] += 1.0 / 40;
            }
        }
        for (int i = 0; i < 64; i++)
            Assert.Equal(expected[i], result.Frequency[i], 5);
        Assert.Equal(expected.Count(f => f == 0), result.DeadCount);
        Assert.Equal(expected.Count(f => f > 0), result.LogFrequencyHistogram.Sum(b => b.Count));
    }

    [Fact]
    public void MlpNeuronSparsity_IsPerLayer()
    {
        using var model = TestModels.Create("gpt2");
        var batches = new[] { TestModels.Tokens(2, 10) };
        var layers = ActivationSparsity.MlpNeurons(model, batches);
        Assert.Equal(2, layers.Count);
        Assert.Equal("blocks.1.mlp.hook_post", layers[1].HookName);
    }

    [Fact]
    public void MaxActivatingExamples_AreTheLargestActivations_WithTheirContexts()
    {
        using var model = TestModels.Create("gpt2");
        using var tokens = TestModels.Tokens(3, 12);
        var view = FeatureView.Activations(model, "blocks.0.mlp.hook_post", unit: 5, [tokens], topK: 4, window: 3);
        var (logits, cache) = model.RunWithCache(tokens);
        using (logits) using (cache)
        {
            var acts = cache["blocks.0.mlp.hook_post"][.., .., 5];
            var best = acts.flatten().topk(4).values.data<float>().ToArray();
            Assert.Equal(best, view.Top.Select(e => e.Activation));
            var first = view.Top[0];
            Assert.Equal(acts[first.Sequence, first.Position].ToSingle(), first.Activation);
            Assert.Equal(first.Activation, first.TokenActivations[^1]);
            Assert.Equal(tokens[first.Sequence, first.Position].ToInt64(), first.Tokens[^1]);
            Assert.True(first.Tokens.Length <= 4);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureView.Activations(model, "blocks.0.mlp.hook_post", unit: 10_000, [tokens]));
    }

    [Fact]
    public void LogitEffects_AreTheDirectionTimesWU()
    {
        using var model = TestModels.Create("gpt2");
        using var sae = SaeTestData.Random(new SaeConfig { DIn = 32, DSae = 64 });
        var effects = FeatureView.Logits(model, sae.W_dec[3], k: 5);
        using var all = matmul(sae.W_dec[3], model.unembed.W_U);
        Assert.Equal(all.argmax().ToInt64(), effects.Top[0].Token);
        Assert.Equal(all.argmin().ToInt64(), effects.Bottom[0].Token);
        Assert.Equal(all.max().ToSingle(), effects.Top[0].Effect, 5);
    }
}
