using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

[Collection(ToolsCollection.Name)]
public sealed class ResidualTests(BuiltInTools tools)
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("attn-only")]
    public void ResidualMovement_SharesOfEachChangeSumToOne_AndTheNormsAreTheStreams(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var tokens = TestModels.Tokens(2, 6);

        var movement = tools.Residual(model).ResidualMovement(tokens, batchIndex: 1);

        Assert.Equal(model.Cfg.NLayers, movement.Steps.Count);
        var (_, cache) = model.RunWithCache(tokens);
        using (cache)
            foreach (var step in movement.Steps)
            {
                Assert.Equal(1, step.AttentionShare + step.MlpShare, 4);
                if (model.Cfg.AttnOnly) Assert.Equal(1, step.AttentionShare, 4);
                var before = cache[$"blocks.{step.Layer}.hook_resid_pre"][1];
                var after = cache[$"blocks.{step.Layer}.hook_resid_post"][1];
                Assert.Equal(before.norm(1, keepdim: false).mean().item<float>(), step.NormBefore, 3);
                Assert.Equal(after.norm(1, keepdim: false).mean().item<float>(), step.NormAfter, 3);
                Assert.Equal(nn.functional.cosine_similarity(before, after, dim: -1).mean().item<float>(), step.Cosine, 4);
            }
        Assert.Contains("attn share", movement.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0L)]
    public void IntegratedGradients_AreCompleteWithinOnePercent_OnTheZooLanguageModel(long? baselineToken)
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var tokens = model.ToTokens("When Mary and John went to the store, John gave a drink to");   // an IOI prompt of its world
        var residual = tools.Residual(model);
        long target = model.Forward(tokens)[0, -1].argmax().item<long>();

        var ig = residual.FeatureAttribution(tokens, target, baselineToken: baselineToken);
        var approximate = residual.GradientTimesInput(tokens, target, baselineToken: baselineToken);

        Assert.Equal(tokens.shape[1], ig.Sources.Count);
        Assert.True(Math.Abs(ig.Logit - ig.BaselineLogit) > 0.1, ig.ToString());
        Assert.True(ig.CompletenessError <= 0.01, ig.ToString());
        Assert.Equal(model.Forward(tokens)[0, -1, target].item<float>(), ig.Logit, 3);
        Assert.Equal(ig.Logit, approximate.Logit, 4);
        Assert.Contains("approximate", approximate.Method);
        // Gradient × input is one first-order term: measured, not assumed, to be further from complete here.
        Assert.True(approximate.CompletenessError > ig.CompletenessError, $"{ig}\n{approximate}");
    }

    [Fact]
    public void IntegratedGradients_OfAnAffineModel_AreExactWithOneStep()
    {
        // The hand-built model has no norms; with its queries and keys zeroed every head attends uniformly, so each logit
        // is affine in the token embeddings and the one-point midpoint rule integrates the gradient exactly.
        using var scope = NewDisposeScope();
        using var model = HandBuiltInduction.Create();
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.EndsWith("W_Q") || name.EndsWith("W_K")) p.zero_();
        var tokens = tensor(new long[] { 3, 1, 4, 1, 5, 2, 6 });

        var ig = tools.Residual(model).FeatureAttribution(tokens, 1, steps: 1);

        Assert.True(Math.Abs(ig.Logit - ig.BaselineLogit) > 0.1, ig.ToString());
        Assert.True(ig.CompletenessError <= 1e-4, ig.ToString());
    }

    [Fact]
    public void FeatureAttribution_RefusesBadArguments_NamingThem()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var residual = tools.Residual(model);
        var tokens = TestModels.Tokens(1, 4);

        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => residual.FeatureAttribution(tokens, 1, steps: 0)).ParamName);
        Assert.Equal("targetToken", Assert.Throws<ArgumentOutOfRangeException>(() => residual.FeatureAttribution(tokens, -1)).ParamName);
        Assert.Equal("position", Assert.Throws<ArgumentOutOfRangeException>(() => residual.GradientTimesInput(tokens, 1, position: 4)).ParamName);
        Assert.Equal("baselineToken", Assert.Throws<ArgumentOutOfRangeException>(() => residual.GradientTimesInput(tokens, 1, baselineToken: model.Cfg.DVocab)).ParamName);
    }
}
