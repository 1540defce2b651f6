using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis;

public class AttributionPatchingTests
{
    private static Func<Tensor, Tensor> LogitDiff(long answer, long other) => logits => logits[.., -1, answer] - logits[.., -1, other];

    [Fact]
    public void WhereTheMetricIsLinearInTheActivation_AtPIsExact_AndElsewhereOnlyAnEstimate()
    {
        // No layer norm, attention only: the logits are linear in the last layer's head outputs z (z·W_O·W_U), so AtP of
        // layer 1's heads equals exhaustive patching (layer 0's heads act through layer 1's softmax: estimated only).
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("attn-only");
        var clean = TestModels.Tokens(3, 6, seed: 5);
        var corrupted = TestModels.Tokens(3, 6, seed: 9);
        foreach (var direction in new[] { PatchDirection.Denoising, PatchDirection.Noising })
        {
            using var exact = ActivationPatching.GetActPatchAttnHeadOutAllPos(model, clean, corrupted, LogitDiff(3, 7), direction);
            using var atp = AttributionPatching.Run(model, clean, corrupted, LogitDiff(3, 7), "z", [PatchAxis.Layer, PatchAxis.Head], direction);
            Assert.Equal("AtP", atp.Method);
            Assert.Equal((2, 1), (atp.ForwardPasses, atp.BackwardPasses));
            Assert.Equal(exact.CleanMetric, atp.CleanMetric, 4);
            Assert.Equal(exact.CorruptedMetric, atp.CorruptedMetric, 4);
            double lastLayer = (exact.Values[1] - atp.Values[1]).abs().max().item<float>();
            Assert.True(lastLayer <= 1e-4, $"{direction}: layer 1 AtP error {lastLayer}");
        }
    }

    [Fact]
    public void ByPositionAndAllPositions_AgreeAsSums()
    {
        // AtP is linear in the patch: patching every position at once is estimated as the sum of the per-position estimates.
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var clean = TestModels.Tokens(2, 6, seed: 5);
        var corrupted = TestModels.Tokens(2, 6, seed: 9);
        using var all = AttributionPatching.Run(model, clean, corrupted, LogitDiff(3, 7), "v", [PatchAxis.Layer, PatchAxis.Head]);
        using var byPos = AttributionPatching.Run(model, clean, corrupted, LogitDiff(3, 7), "v", [PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head]);
        Assert.Equal(new long[] { 2, 6, 4 }, byPos.Values.shape);
        var summed = (byPos.Values - byPos.Baseline).sum(1L) + byPos.Baseline;
        Assert.True((summed - all.Values).abs().max().item<float>() <= 1e-4);
    }

    [Fact]
    public void OnASaturatedSoftmax_TheQkFixReducesAtPsError()
    {
        // The hand-built induction head L1H0 attends with scores of 10 against 0: its softmax is saturated, so the gradient
        // through it is ~0 and AtP misses what patching its keys or queries does. AtP* recomputes the softmax exactly; with
        // a metric linear in the logits (the correct tokens' logits) nothing after layer 1's pattern is non-linear, so
        // AtP* is exact there.
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var clean = InductionGroundTruth.RepeatedSequences(8, seed: 1);
        var corrupted = InductionGroundTruth.RepeatedSequences(8, seed: 2);
        const int v = InductionGroundTruth.Vocab;
        Func<Tensor, Tensor> metric = logits => logits[.., (v + 1)..^1].gather(-1, clean[.., (v + 2)..].unsqueeze(-1)).squeeze(-1).mean([1L]);
        foreach (var (activation, axes) in new[] { ("k", new[] { PatchAxis.Layer, PatchAxis.Head }), ("q", new[] { PatchAxis.Layer, PatchAxis.Head }),
                     ("k", new[] { PatchAxis.Layer, PatchAxis.Pos, PatchAxis.Head }) })
        {
            using var exact = ActivationPatching.GenericActivationPatch(model, clean, corrupted, metric, activation, axes);
            using var atp = AttributionPatching.Run(model, clean, corrupted, metric, activation, axes);
            using var atpStar = AttributionPatching.Run(model, clean, corrupted, metric, activation, axes, options: new AttributionOptions { QkFix = true });
            Assert.Equal("AtP*", atpStar.Method);
            // Layer 1: the saturated induction head.
            double atpError = (atp.Values[1] - exact.Values[1]).abs().sum().item<float>();
            double starError = (atpStar.Values[1] - exact.Values[1]).abs().sum().item<float>();
            double effect = (exact.Values[1] - exact.Baseline).abs().sum().item<float>();
            string report = $"{activation} [{string.Join(",", axes)}]: layer 1 AtP* error {starError:G4} vs AtP {atpError:G4} (total |effect| {effect:G4})";
            Assert.True(effect > 1, report);
            Assert.True(atpError > 0.5 * effect, report);
            Assert.True(starError <= 1e-3 * effect, report);
        }
    }

    [Fact]
    public void GradDrop_GivesTheLastLayerItsAtPMagnitude_AndAveragesTheDroppedEstimatesElsewhere()
    {
        // Definition: 1/(L−1) Σ_ℓ |AtP_ℓ(n)| with the gradient through layer ℓ's outputs dropped. For a node of the last
        // layer only ℓ = L−1 changes anything (to 0), so its score is |AtP(n)|; for layer 0, ℓ = 0 gives 0 and ℓ = 1 leaves
        // only the direct path to the logits (no MLP here), so in a 2-layer model its score is |direct-path AtP| / 1.
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("attn-only");
        var clean = TestModels.Tokens(2, 6, seed: 5);
        var corrupted = TestModels.Tokens(2, 6, seed: 9);
        using var atp = AttributionPatching.Run(model, clean, corrupted, LogitDiff(3, 7), "z", [PatchAxis.Layer, PatchAxis.Head]);
        using var gd = AttributionPatching.Run(model, clean, corrupted, LogitDiff(3, 7), "z", [PatchAxis.Layer, PatchAxis.Head],
            options: new AttributionOptions { GradDrop = true });
        Assert.Equal("AtP*+GradDrop", gd.Method);
        Assert.Equal((4, 3), (gd.ForwardPasses, gd.BackwardPasses));   // 2 + L forward, 1 + L backward
        using var atpEffect = atp.Effect();
        using var gdEffect = gd.Effect();
        Assert.True((gdEffect[1] - atpEffect[1].abs()).abs().max().item<float>() <= 1e-4);
        Assert.True(gdEffect.min().item<float>() >= 0);
        // Layer 0 with layer 1's outputs dropped: only the direct path, z·W_O into the final residual stream.
        var (_, cleanCache) = model.RunWithCache(corrupted, ["blocks.0.attn.hook_z", "blocks.1.hook_resid_post"], includeBackward: true,
            backwardMetric: l => LogitDiff(3, 7)(l).mean());
        var (_, sourceCache) = model.RunWithCache(clean, ["blocks.0.attn.hook_z"]);
        using (cleanCache)
        using (sourceCache)
        {
            var dz = sourceCache["blocks.0.attn.hook_z"] - cleanCache["blocks.0.attn.hook_z"];                    // [batch, pos, head, d_head]
            var write = einsum("bphe,hed->bphd", dz, model.blocks[0].attn.W_O.detach());                        // [batch, pos, head, d_model]
            var direct = (write * cleanCache["blocks.1.hook_resid_post_grad"].unsqueeze(2)).sum([0L, 1L, 3L]);    // [head]
            Assert.True((gdEffect[0] - direct.abs()).abs().max().item<float>() <= 1e-4, $"{gdEffect[0]} vs {direct.abs()}");
        }
    }

    [Fact]
    public void TheQkFix_IsRefusedForOtherAxes()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(2, 6);
        var e = Assert.Throws<ArgumentException>(() => AttributionPatching.Run(model, tokens, TestModels.Tokens(2, 6, seed: 9), LogitDiff(3, 7), "q",
            [PatchAxis.Layer, PatchAxis.Head, PatchAxis.Pos], options: new AttributionOptions { QkFix = true }));
        Assert.Equal("options", e.ParamName);
    }
}
