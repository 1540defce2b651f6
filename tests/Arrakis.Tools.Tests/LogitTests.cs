using Arrakis.Tests.Analysis;
using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

[Collection(ToolsCollection.Name)]
public sealed class LogitTests(BuiltInTools tools)
{
    [Theory]
    [InlineData("gpt2", false, false)]
    [InlineData("gpt2", true, false)]
    [InlineData("gpt2", false, true)]
    [InlineData("llama", false, false)]
    [InlineData("llama", true, true)]
    [InlineData("neox", false, false)]
    [InlineData("attn-only", false, false)]
    public void DirectAttributions_SumToTheLogitMinusItsBias_AndEachHeadSplitsExactlyOverSources(string family, bool processed, bool perNeuron)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        if (processed)
            model.ProcessWeights();
        var tokens = TestModels.Tokens(2, 7);
        const long target = 11;

        var la = tools.Logit(model).LogitAttribution(tokens, target, position: 3, batchIndex: 1, perNeuron: perNeuron);

        using (no_grad())
            Assert.Equal(model.Forward(tokens)[1, 3, target].item<float>(), la.Logit, 4);
        Assert.Equal((3, 1), (la.Position, la.BatchIndex));
        Assert.True(Math.Abs(la.Total - (la.Logit - la.UnembedBias)) <= 1e-4 * Math.Max(1, Math.Abs(la.Logit)),
            $"Σ attributions {la.Total} vs logit − bias {la.Logit - la.UnembedBias}");
        Assert.Equal(perNeuron && !model.Cfg.AttnOnly, la.Components.Any(c => c.Label.Contains('N')));

        Assert.Equal(model.Cfg.NLayers * model.Cfg.NHeads, la.Heads.Count);
        foreach (var head in la.Heads)
        {
            Assert.Equal(7, head.PerSource.Count);
            Assert.Equal(head.Total, head.PerSource.Sum(), 4);                        // the split is exact
            Assert.Equal(la[head.Head.ToString()], head.Total, 4);                    // and it is the head's direct attribution
            Assert.All(head.PerSource.Skip(4), v => Assert.Equal(0, v, 6));          // causal: nothing after the query
        }
        Assert.Equal(la.Heads.Sum(h => h.Total), la.Sources.Sum(s => s.Value), 4);
        Assert.Equal(tokens[1].data<long>().ToArray(), la.Sources.Select(s => s.Token));
        Assert.Null(la.GradientTimesEmbedding);
    }

    [Fact]
    public void OnTheHandBuiltCircuit_TheInductionHeadHasTheLargestAttribution_FromTheTokenAfterTheEarlierOccurrence()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(4, seed: 3);
        var logit = tools.Logit(model);
        for (int b = 0; b < 4; b++)
        {
            for (int query = InductionGroundTruth.Vocab + 1; query < InductionGroundTruth.Positions - 1; query++)
            {
                long repeated = tokens[b, query + 1].item<long>();   // the token that follows the earlier occurrence

                var la = logit.LogitAttribution(tokens, repeated, position: query, batchIndex: b);

                Assert.Equal("L1H0", la.Largest.Label);
                var induction = la.Heads.Single(h => h.Head == InductionGroundTruth.InductionHead);
                int source = Enumerable.Range(0, induction.PerSource.Count).MaxBy(s => induction.PerSource[s]);
                Assert.Equal(query - InductionGroundTruth.Vocab + 1, source);
                Assert.Equal(repeated, la.Sources[source].Token);
            }
        }
    }

    [Fact]
    public void GradientTimesEmbedding_IsOfferedOnRequest_AndIsExactWhereTheLogitIsLinearInTheEmbedding()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        // One token: every attention pattern is 1, no norm, no bias, and positions never reach the unembedding, so the
        // logit is linear in the token embedding and the first-order term is the whole logit.
        var la = tools.Logit(model).LogitAttribution(tensor(new long[] { 3 }), 3, gradientTimesEmbedding: true);
        var approx = Assert.Single(la.GradientTimesEmbedding!);
        Assert.Equal((0, 3L), (approx.Position, approx.Token));
        Assert.Equal(la.Logit, approx.Value, 4);
        Assert.Contains("approximate", la.ToString());
        Assert.All(model.parameters(), p => Assert.True(p.grad is null, "no parameter gradient is accumulated"));

        using var gpt2 = TestModels.Create("gpt2");
        var general = tools.Logit(gpt2).LogitAttribution(TestModels.Tokens(1, 5), 2, gradientTimesEmbedding: true);
        Assert.Equal(5, general.GradientTimesEmbedding!.Count);
        Assert.All(general.GradientTimesEmbedding, s => Assert.True(double.IsFinite(s.Value)));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void TokenCirculation_FollowsTheLensToTheLogit_AndItsMovesPlusTheEmbeddingsAreTheDirectAttribution(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var tokens = TestModels.Tokens(1, 6);
        var logit = tools.Logit(model);
        const long target = 5;

        var circulation = logit.TrackTokenCirculation(tokens, target);   // the seed's default n_layers = 5, capped at 2
        var la = logit.LogitAttribution(tokens, target);

        Assert.Equal([0, 1], circulation.Steps.Select(s => s.Layer));
        Assert.Equal(la.Logit, circulation.Steps[^1].LensLogit, 4);
        double embeddings = la.Components.Where(c => c.Label is "embed" or "pos_embed").Sum(c => c.Value);
        double moves = circulation.Steps.Sum(s => s.AttentionMove + s.MlpMove);
        Assert.Equal(la.Logit - la.UnembedBias, moves + embeddings, 4);   // attn_out and mlp_out carry their biases
        Assert.Single(logit.TrackTokenCirculation(tokens, target, nLayers: 1).Steps);
        Assert.All(circulation.Steps, s => Assert.InRange(s.LensProbability, 0, 1));
    }
}
