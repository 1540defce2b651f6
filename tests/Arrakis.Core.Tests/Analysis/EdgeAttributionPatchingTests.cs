using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis;

public class EdgeAttributionPatchingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static Func<Tensor, Tensor> LogitDiff(long answer, long other) => logits => logits[.., -1, answer] - logits[.., -1, other];

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void TheEdgesOutOfTheInput_SumToTheEmbeddingsOwnAttribution(string family)
    {
        // Every downstream input reads the embeddings directly, so ∂metric/∂embed = Σ_v ∂metric/∂input_v and the input's
        // edge scores must sum to (e′ − e)·∂metric/∂e — an identity, to float32 precision.
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var clean = TestModels.Tokens(2, 6, seed: 5);
        var corrupted = TestModels.Tokens(2, 6, seed: 9);
        var graph = EdgeAttributionPatching.Run(model, clean, corrupted, LogitDiff(3, 7));
        double edges = graph.From("input").Sum(e => e.Score);
        var (_, cleanCache) = model.RunWithCache(clean, ["hook_embed"], includeBackward: true, backwardMetric: l => LogitDiff(3, 7)(l).mean());
        var (_, corruptedCache) = model.RunWithCache(corrupted, ["hook_embed"]);
        using (cleanCache)
        using (corruptedCache)
        {
            double direct = ((corruptedCache["hook_embed"] - cleanCache["hook_embed"]) * cleanCache["hook_embed_grad"]).sum().item<float>();
            Assert.True(Math.Abs(edges - direct) <= 1e-4 * Math.Max(1, Math.Abs(direct)), $"Σ edges {edges} vs embedding attribution {direct}");
        }
        Assert.False(model.Options.UseSplitQkvInput);  // options restored
    }

    [Fact]
    public void IntegratedGradients_OverTheInputEdges_RecoverTheWholeEffect()
    {
        // Completeness of integrated gradients along the embeddings: Σ_v score(input → v) → metric(corrupted) − metric(clean).
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var clean = TestModels.Tokens(2, 6, seed: 5);
        var corrupted = TestModels.Tokens(2, 6, seed: 9);
        var ig = EdgeAttributionPatching.Run(model, clean, corrupted, LogitDiff(3, 7), integratedGradientSteps: 32);
        var eap = EdgeAttributionPatching.Run(model, clean, corrupted, LogitDiff(3, 7));
        double effect = ig.CorruptedMetric - ig.CleanMetric;
        double igError = Math.Abs(ig.From("input").Sum(e => e.Score) - effect), eapError = Math.Abs(eap.From("input").Sum(e => e.Score) - effect);
        Assert.Equal("EAP-IG", ig.Method);
        Assert.True(igError <= 0.01 * Math.Abs(effect) + 1e-4, $"EAP-IG: {igError:G4} off the effect {effect:G4} (EAP: {eapError:G4})");
        Assert.True(igError < eapError, $"EAP-IG error {igError:G4} vs EAP {eapError:G4}");
    }

    [Fact]
    public void TheGraph_HasAnEdgeExactlyWhereTheWriterRunsBeforeTheReader()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");  // 2 layers, 4 heads, 2 key/value heads, MLPs
        var graph = EdgeAttributionPatching.Run(model, TestModels.Tokens(2, 6), TestModels.Tokens(2, 6, seed: 9), LogitDiff(3, 7));
        // Readers: per layer 4 q + 2 k + 2 v + MLP = 9, plus logits. Writers: input, per layer 4 heads + MLP.
        // input → all 19; layer-0 heads → layer-1 (9) + MLP0 + logits = 11 each; MLP0 → 9 + logits = 10;
        // layer-1 heads → MLP1 + logits = 2 each; MLP1 → logits.
        Assert.Equal(19 + 4 * 11 + 10 + 4 * 2 + 1, graph.Edges.Count);
        Assert.Throws<KeyNotFoundException>(() => graph.Edge("L1H0", "L1H1", EdgeInput.Query));
        Assert.Throws<KeyNotFoundException>(() => graph.Edge("MLP0", "MLP0", EdgeInput.Mlp));
        _ = graph.Edge("L0H3", "L1KV1", EdgeInput.Key);
        _ = graph.Edge("L1H2", "MLP1", EdgeInput.Mlp);
        _ = graph.Edge("MLP1", "logits", EdgeInput.Logits);
        Assert.Equal("L0H3->L1KV1<k>", graph.Edge("L0H3", "L1KV1", EdgeInput.Key).Name);
        Assert.All(graph.Edges, e => Assert.True(double.IsFinite(e.Score)));
        Assert.Equal(graph.Edges.Max(e => Math.Abs(e.Score)), Math.Abs(graph.TopEdges(1)[0].Score));
    }

    [Fact]
    public void HeadToHeadEdgeScores_EstimateExactPathPatching_AndTheErrorIsMeasured()
    {
        // Exact patching of one edge u → v<q|k|v> is path patching with the corrupted input: Δ = (z′_u − z_u)·W_O[u] added to
        // v's q, k or v input only. EAP estimates patched − clean for every such edge from one backward pass.
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var clean = TestModels.Tokens(4, 6, seed: 5);
        var corrupted = TestModels.Tokens(4, 6, seed: 9);
        var graph = EdgeAttributionPatching.Run(model, clean, corrupted, LogitDiff(3, 7));
        var pairs = (from s in Enumerable.Range(0, 4) from r in Enumerable.Range(0, 4) select (new HeadIndex(0, s), new HeadIndex(1, r))).ToList();
        var exact = new List<double>();
        var estimate = new List<double>();
        foreach (var (input, through) in new[] { (EdgeInput.Query, PathInput.Query), (EdgeInput.Key, PathInput.Key), (EdgeInput.Value, PathInput.Value) })
        {
            var paths = PathPatching.Run(model, clean, pairs, through, corrupted, (logits, _) => LogitDiff(3, 7)(logits));
            exact.AddRange(paths.Select(p => p.Patched - p.Clean));
            estimate.AddRange(pairs.Select(p => graph.Edge($"L0H{p.Item1.Head}", $"L1H{p.Item2.Head}", input).Score));
        }
        double rho = RankCorrelation.Spearman(exact, estimate);
        double maxError = exact.Zip(estimate, (e, a) => Math.Abs(e - a)).Max(), maxEffect = exact.Max(Math.Abs);
        output.WriteLine($"48 head → head edges: Spearman {rho:F3}; max |EAP − exact| {maxError:G3} of max |exact| {maxEffect:G3}");
        Assert.True(maxEffect > 1e-3, $"the edges should matter: {maxEffect}");
        Assert.True(rho >= 0.8, $"Spearman {rho:F3}; max error {maxError:G3} of {maxEffect:G3}");
    }

    [Fact]
    public void BadInput_IsRefused_NamingTheArgument()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var e = Assert.Throws<ArgumentException>(() => EdgeAttributionPatching.Run(model, TestModels.Tokens(2, 6), TestModels.Tokens(2, 4), LogitDiff(3, 7)));
        Assert.Equal("corruptedTokens", e.ParamName);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() =>
            EdgeAttributionPatching.Run(model, TestModels.Tokens(2, 6), TestModels.Tokens(2, 6, seed: 9), LogitDiff(3, 7), integratedGradientSteps: -1));
        Assert.Equal("integratedGradientSteps", range.ParamName);
    }
}
