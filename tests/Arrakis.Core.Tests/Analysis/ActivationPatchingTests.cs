using Arrakis.Hooks;
using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis;

public class ActivationPatchingTests
{
    /// <summary>logit[answer] − logit[other] at the last position, per row: [batch].</summary>
    private static Func<Tensor, Tensor> LogitDiff(long answer, long other) => logits => logits[.., -1, answer] - logits[.., -1, other];

    private static (Tensor Clean, Tensor Corrupted) Pair(long batch = 2, long pos = 6) =>
        (TestModels.Tokens(batch, pos, seed: 5), TestModels.Tokens(batch, pos, seed: 9));

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= tolerance, $"{what}: max |difference| {error:G3} > {tolerance:G3}");
    }

    public static IEnumerable<object[]> Activations =>
    [
        ["gpt2", "resid_pre", new[] { PatchAxis.Layer, PatchAxis.Pos }],
        ["gpt2", "mlp_out", new[] { PatchAxis.Layer, PatchAxis.Pos }],
        ["gpt2", "z", new[] { PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head }],
        ["gpt2", "pattern", new[] { PatchAxis.Layer, PatchAxis.Head, PatchAxis.DestPos }],
        ["llama", "k", new[] { PatchAxis.Layer, PatchAxis.Head }],
        ["llama", "v", new[] { PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head }],
        ["neox", "q", new[] { PatchAxis.Layer, PatchAxis.Head }],
        ["attn-only", "resid_post", new[] { PatchAxis.Layer, PatchAxis.Pos }],
    ];

    [Theory]
    [MemberData(nameof(Activations))]
    public void Batched_EqualsOnePatchPerForward(string family, string activation, PatchAxis[] axes)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var (clean, corrupted) = Pair();
        foreach (var direction in new[] { PatchDirection.Denoising, PatchDirection.Noising })
        {
            using var batched = ActivationPatching.GenericActivationPatch(model, clean, corrupted, LogitDiff(3, 7), activation, axes, direction,
                new PatchingOptions { MaxVariantsPerPass = 7 });
            using var looped = ActivationPatching.GenericActivationPatch(model, clean, corrupted, LogitDiff(3, 7), activation, axes, direction,
                PatchingOptions.OnePatchPerForward);
            Assert.True(batched.ForwardPasses < looped.ForwardPasses);
            AssertClose(looped.Values, batched.Values, 1e-5, $"{family} {activation} {direction}");
        }
    }

    [Fact]
    public void APatch_IsTheHandWrittenHook()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var (clean, corrupted) = Pair();
        var metric = LogitDiff(3, 7);
        using var result = ActivationPatching.GetActPatchAttnHeadOutByPos(model, clean, corrupted, metric);
        Assert.Equal(new long[] { 2, 6, 4 }, result.Values.shape);
        var (_, cleanCache) = model.RunWithCache(clean, ["blocks.1.attn.hook_z"]);
        using (cleanCache)
        {
            using var noGrad = no_grad();
            var cleanZ = cleanCache["blocks.1.attn.hook_z"];
            var logits = model.RunWithHooks(corrupted, [("blocks.1.attn.hook_z", (z, _) =>
            {
                var patched = z.clone();
                patched[.., 4, 2] = cleanZ[.., 4, 2];
                return patched;
            })]);
            Assert.Equal(metric(logits).mean().item<float>(), result.Values[1, 4, 2].item<float>(), 5);
            Assert.Equal(metric(model.Forward(corrupted)).mean().item<float>(), result.CorruptedMetric, 5);
            Assert.Equal(metric(model.Forward(clean)).mean().item<float>(), result.CleanMetric, 5);
        }
    }

    [Fact]
    public void WhereTheInputsDifferAtOnePosition_PatchingTheFirstResidualThereRestoresTheCleanRun_AndElsewhereNothing()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var clean = TestModels.Tokens(3, 6, seed: 5);
        var corrupted = clean.clone();
        corrupted[.., 2] = (clean[.., 2] + 1) % 61;
        using var result = ActivationPatching.GetActPatchResidPre(model, clean, corrupted, LogitDiff(3, 7));
        Assert.Equal(result.CleanMetric, result.Values[0, 2].item<float>(), 4);
        foreach (int p in new[] { 0, 1, 3, 4, 5 })
            Assert.Equal(result.CorruptedMetric, result.Values[0, p].item<float>(), 4);
        using var normalized = result.Normalized();
        Assert.Equal(1.0, normalized[0, 2].item<float>(), 3);
    }

    [Fact]
    public void UnderGroupedQueryAttention_KeysArePatchedPerKeyValueHead_ForEveryQueryHeadThatReadsThem()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");  // 4 query heads, 2 key/value heads
        Assert.Equal(2, model.Cfg.EffectiveKeyValueHeads);
        var (clean, corrupted) = Pair();
        var metric = LogitDiff(3, 7);
        using var keys = ActivationPatching.GetActPatchAttnHeadKAllPos(model, clean, corrupted, metric);
        Assert.Equal(new long[] { 2, 2 }, keys.Values.shape);   // [n_layers, n_kv_heads]
        // Key/value head 1 of layer 1 is read by query heads 2 and 3: its patch is the hand-written one on hook_k, where the
        // keys exist once, and it changes the patterns of both query heads.
        var (_, cleanCache) = model.RunWithCache(clean, ["blocks.1.attn.hook_k"]);
        using (cleanCache)
        {
            using var noGrad = no_grad();
            var cleanK = cleanCache["blocks.1.attn.hook_k"];
            Tensor? pattern = null;
            var logits = model.RunWithHooks(corrupted, [("blocks.1.attn.hook_k", (k, _) =>
            {
                var patched = k.clone();
                patched[.., .., 1] = cleanK[.., .., 1];
                return patched;
            }), ("blocks.1.attn.hook_pattern", (p, _) => { pattern = p.clone().DetachFromDisposeScope(); return null; })]);
            Assert.Equal(metric(logits).mean().item<float>(), keys.Values[1, 1].item<float>(), 5);
            var (_, corruptedCache) = model.RunWithCache(corrupted, ["blocks.1.attn.hook_pattern"]);
            using (corruptedCache)
            {
                var unpatched = corruptedCache["blocks.1.attn.hook_pattern"];
                for (int head = 0; head < 4; head++)
                {
                    bool moved = !pattern![.., head].allclose(unpatched[.., head], 1e-6, 1e-7);
                    Assert.Equal(head >= 2, moved);
                }
            }
            using var queries = ActivationPatching.GetActPatchAttnHeadQAllPos(model, clean, corrupted, metric);
            Assert.Equal(new long[] { 2, 4 }, queries.Values.shape);  // queries stay per query head
        }
    }

    [Fact]
    public void ExplicitIndices_GiveAFlatResult_InTheirOrder()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var (clean, corrupted) = Pair();
        int[][] indices = [[1, 3, 17], [0, 5, 2], [1, 0, 47]];
        using var flat = ActivationPatching.GenericActivationPatch(model, clean, corrupted, LogitDiff(3, 7), "post",
            [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Neuron], indices);
        Assert.Equal(new long[] { 3 }, flat.Values.shape);
        using var grid = ActivationPatching.GenericActivationPatch(model, clean, corrupted, LogitDiff(3, 7), "post",
            [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Neuron]);
        for (int i = 0; i < indices.Length; i++)
            Assert.Equal(grid.Values[indices[i][0], indices[i][1], indices[i][2]].item<float>(), flat.Values[i].item<float>(), 5);
    }

    [Fact]
    public void TheMemoryBudget_SetsTheVariantsPerPass()
    {
        var cfg = TestModels.Config("gpt2");
        long perSequence = ActivationPatching.EstimatedBytesPerSequence(cfg, 6);
        Assert.Equal(5, ActivationPatching.VariantsPerPass(cfg, 2, 6, new PatchingOptions { MemoryBudgetBytes = 2 * perSequence * 5 + 1 }));
        Assert.Equal(1, ActivationPatching.VariantsPerPass(cfg, 2, 6, new PatchingOptions { MemoryBudgetBytes = 1 }));
        Assert.Equal(3, ActivationPatching.VariantsPerPass(cfg, 2, 6, new PatchingOptions { MaxVariantsPerPass = 3 }));
    }

    [Fact]
    public void BadInput_IsRefused_NamingTheArgument()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("attn-only");
        var (clean, corrupted) = Pair();
        var metric = LogitDiff(3, 7);
        var e = Assert.Throws<ArgumentException>(() => ActivationPatching.GetActPatchResidPre(model, clean, TestModels.Tokens(2, 5), metric));
        Assert.Equal("corruptedTokens", e.ParamName);
        Assert.Contains("[2, 5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => ActivationPatching.GetActPatchResidPre(model, clean, corrupted, logits => logits[.., -1, 3].mean()));
        Assert.Equal("metric", e.ParamName);
        Assert.Contains("one value per batch row", e.Message);
        e = Assert.Throws<ArgumentException>(() => ActivationPatching.GetActPatchMlpOut(model, clean, corrupted, metric));
        Assert.Equal("activationName", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => ActivationPatching.GenericActivationPatch(model, clean, corrupted, metric, "z", [PatchAxis.Layer, PatchAxis.Neuron]));
        Assert.Equal("indexAxes", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => ActivationPatching.GenericActivationPatch(model, clean, corrupted, metric, "z", [PatchAxis.Head]));
        Assert.Equal("indexAxes", e.ParamName);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => ActivationPatching.GenericActivationPatch(model, clean, corrupted, metric, "z",
            [PatchAxis.Layer, PatchAxis.Head], [[0, 9]]));
        Assert.Equal("indices", range.ParamName);
        range = Assert.Throws<ArgumentOutOfRangeException>(() => ActivationPatching.GetActPatchResidPre(model, clean, corrupted, metric,
            options: new PatchingOptions { MaxVariantsPerPass = 0 }));
        Assert.Equal("options", range.ParamName);
    }
}
