using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis;

public class AttributionPrimitiveTests
{
    [Theory]
    [InlineData("gpt2", false)]
    [InlineData("gpt2", true)]
    [InlineData("llama", false)]
    [InlineData("attn-only", false)]
    [InlineData("neox", false)]
    public void PerSourceAttributions_SumToEachHeadsDirectLogitAttribution(string family, bool processed)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        if (processed)
            model.ProcessWeights();
        var (_, cache) = model.RunWithCache(TestModels.Tokens(2, 7));
        using (cache)
        {
            const long token = 11;
            using var split = SourceTokenAttribution.Compute(cache, token, position: -1, batchIndex: 1);
            var heads = cache.StackHeadResults(posSlice: -1);
            var dla = cache.LogitAttrs(heads.Stack, token, posSlice: -1)[.., 1].reshape(model.Cfg.NLayers, model.Cfg.NHeads);
            Assert.True(dla.allclose(split.PerHead, rtol: 0, atol: 1e-5), $"max error {(dla - split.PerHead).abs().max().item<float>()}");
            Assert.Equal(new long[] { model.Cfg.NLayers, model.Cfg.NHeads, 7 }, split.PerHeadPerSource.shape);
            Assert.Equal(split.PerHead.sum().item<float>(), split.PerSource.sum().item<float>(), 4);
        }
    }

    [Fact]
    public void OnTheHandBuiltCircuit_TheInductionHeadHasTheLargestAttribution_FromTheTokenAfterTheEarlierOccurrence()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(1, seed: 3);
        var (logits, cache) = model.RunWithCache(tokens);
        using (cache)
        {
            const int query = 12;  // second copy; its token first appeared at 4, so the answer sits at 5
            long answer = tokens[0, query + 1].item<long>();
            using var split = SourceTokenAttribution.Compute(cache, answer, position: query);
            var (layer, head) = ArgMax2(split.PerHead);
            Assert.Equal(InductionGroundTruth.InductionHead, new HeadIndex(layer, head));
            Assert.Equal(query - InductionGroundTruth.Vocab + 1, split.PerHeadPerSource[1, 0].argmax().item<long>());
        }
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void TokenCirculation_EndsAtTheModelsLogit_AndItsMovesAreTheLayersDirectAttributions(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var tokens = TestModels.Tokens(1, 6);
        var (logits, cache) = model.RunWithCache(tokens);
        using (cache)
        {
            const long token = 5;
            var steps = TokenCirculation.Track(cache, token, nLayers: 5);
            Assert.Equal(model.Cfg.NLayers, steps.Count);  // capped at the model's depth
            var last = steps[^1];
            Assert.Equal(logits[0, -1, token].item<float>(), last.LensLogit, 4);
            Assert.Equal(logits[0, -1].softmax(-1)[token].item<float>(), last.LensProbability, 5);
            Assert.Equal(logits[0, -1].gt(logits[0, -1, token]).sum().item<long>(), last.LensRank);
            var decomposition = cache.DecomposeResid(posSlice: -1);
            var attrs = cache.LogitAttrs(decomposition.Stack, token, posSlice: -1)[.., 0];
            for (int l = 0; l < model.Cfg.NLayers; l++)
            {
                Assert.Equal(attrs[decomposition.Labels.ToList().IndexOf($"{l}_attn_out")].item<float>(), steps[l].AttentionMove, 4);
                Assert.Equal(attrs[decomposition.Labels.ToList().IndexOf($"{l}_mlp_out")].item<float>(), steps[l].MlpMove, 4);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenCirculation.Track(cache, 61, 2));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void MlpBasis_ReconstructsTheWeights_WithOrthonormalDirections(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        using var basis = MlpBasis.Compute(model, 1);
        var wIn = model.blocks[1].mlp!.W_in.detach();
        // W_in = U S Vᵀ: projecting W_in onto the read directions keeps all of it.
        var projected = basis.ReadDirections.t().matmul(basis.ReadDirections.matmul(wIn));
        Assert.True(projected.allclose(wIn, rtol: 0, atol: 1e-4));
        var gram = basis.WriteDirections.matmul(basis.WriteDirections.t());
        Assert.True(gram.allclose(eye(gram.shape[0]), rtol: 0, atol: 1e-4));
        Assert.Equal(1.0, basis.ReadExplainedVariance.sum().item<float>(), 4);
        Assert.True(basis.ReadSingularValues[0].item<float>() >= basis.ReadSingularValues[-1].item<float>());
        Assert.Equal(family == "llama", basis.GateDirections is not null);
        Assert.Throws<InvalidOperationException>(() => MlpBasis.Compute(TestModels.Create("attn-only"), 0));
    }

    private static (int, int) ArgMax2(Tensor matrix)
    {
        long flat = matrix.argmax().item<long>();
        return ((int)(flat / matrix.shape[1]), (int)(flat % matrix.shape[1]));
    }
}
