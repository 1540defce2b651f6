using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Model;

/// <summary>Issue 14: a forward pass frees each block's temporaries when the block ends, and keeps what hooks hold.</summary>
public class LifetimeTests
{
    /// <summary>Live tensors on this thread, seen from a hook at each block's input.</summary>
    private static long[] LiveTensorsAtEachBlock(HookedTransformer model, Tensor tokens)
    {
        var live = new long[model.Cfg.NLayers];
        var hooks = Enumerable.Range(0, model.Cfg.NLayers).Select(l => new Hook($"blocks.{l}.hook_resid_pre", (x, _) =>
        {
            live[l] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            return null;
        }));
        using var noGrad = no_grad();
        model.RunWithHooks(tokens, hooks).Dispose();
        return live;
    }

    [Theory]
    [MemberData(nameof(TestModels.Families), MemberType = typeof(TestModels))]
    public void TheTemporariesOfABlock_AreFreedBeforeTheNextBlockRuns(string family)
    {
        using var scope = NewDisposeScope();
        var cfg = TestModels.Config(family) with { NLayers = 6 };
        using var model = new HookedTransformer(cfg);
        var live = LiveTensorsAtEachBlock(model, TestModels.Tokens(2, 7));
        // Each block makes dozens of temporaries; if they outlived their block, the count would climb by dozens a block.
        // It climbs by exactly one: the hooked residual each hook point keeps to the end of the pass.
        for (int l = 2; l < live.Length; l++)
            Assert.Equal(l - 1, live[l] - live[1]);
    }

    [Fact]
    public void AHook_MayKeepAnActivationOfAnEarlierLayer_AndUseItLaterInTheSamePass()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(2, 6);
        Tensor? stashed = null;
        var hooks = new[]
        {
            new Hook("blocks.0.attn.hook_pattern", (pattern, _) => { stashed = pattern; return null; }),
            // Layer 1 attends with layer 0's pattern: only possible if that tensor is still alive here.
            new Hook("blocks.1.attn.hook_pattern", (_, _) => stashed!.clone()),
        };
        using var noGrad = no_grad();
        var patched = model.RunWithHooks(tokens, hooks);
        var (_, cache) = model.RunWithCache(tokens);
        using (cache)
        {
            var expected = model.RunWithHooks(tokens, [new Hook("blocks.1.attn.hook_pattern", (_, _) => cache["blocks.0.attn.hook_pattern"].clone())]);
            Assert.True(patched.allclose(expected, rtol: 0, atol: 0));
        }
        Assert.True(stashed!.IsInvalid, "what a hook saw is freed when the pass ends (detach it from its scope to keep it)");
    }

    [Fact]
    public void AForward_OwnsNothingAfterItReturns_ButTheLogits()
    {
        using var model = TestModels.Create("llama");
        using var tokens = TestModels.Tokens(2, 6).DetachFromDisposeScope();
        using var noGrad = no_grad();
        model.Forward(tokens).Dispose();  // warm-up: lazily made tensors
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var logits = model.Forward(tokens))
            Assert.Equal(before + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Theory]
    [MemberData(nameof(TestModels.Families), MemberType = typeof(TestModels))]
    public void BackwardThroughAForward_WhoseTemporariesWereFreed_GivesTheGradientsOfOneThatKeptThemAll(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var tokens = TestModels.Tokens(2, 6);
        Tensor[] Gradients()
        {
            model.zero_grad();
            using (var grad = enable_grad())
                model.Loss(tokens).backward();
            return model.parameters().Select(p => p.grad!.clone()).ToArray();
        }
        var lean = Gradients();
        // A hook on every point keeps every activation alive to the end of the pass (the old lifetimes).
        Tensor[] kept;
        using (model.Hooks(model.HookNames.Select(n => new Hook(n, (_, _) => null))))
            kept = Gradients();
        for (int i = 0; i < lean.Length; i++)
            Assert.True(lean[i].allclose(kept[i], rtol: 0, atol: 0), $"parameter {i}: gradients differ");
    }

    [Theory]
    [MemberData(nameof(TestModels.Families), MemberType = typeof(TestModels))]
    public void AttentionWeights_AreReadAsOneMatrixWithoutACopy_AfterInitialisationAndProcessing(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        // The projection for all heads is W.permute(1, 0, 2).reshape(d_model, heads·d_head): a view exactly when this holds.
        static void AssertViewable(HookedTransformer m) => Assert.All(m.blocks, b => Assert.All(new[] { b.attn.W_Q, b.attn.W_K, b.attn.W_V },
            w => Assert.True(w.permute(1, 0, 2).is_contiguous())));
        AssertViewable(model);
        model.ProcessWeights();
        AssertViewable(model);
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void HalfPrecisionPatterns_AreTheFloat32SoftmaxOfTheScores_RoundedOnce(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var model = new HookedTransformer(TestModels.Config("llama") with { Dtype = dtype });
        var (_, cache) = model.RunWithCache(TestModels.Tokens(2, 9));
        using (cache)
        {
            var scores = cache["blocks.1.attn.hook_attn_scores"];
            var pattern = cache["blocks.1.attn.hook_pattern"];
            Assert.Equal(dtype, pattern.dtype);
            // Accumulated in float32 (then rounded to the half type once): within one rounding of the float32 softmax.
            var exact = scores.to(ScalarType.Float32).softmax(-1);
            double ulp = dtype == ScalarType.BFloat16 ? 1.0 / 128 : 1.0 / 1024;
            var error = (pattern.to(ScalarType.Float32) - exact).abs() - exact * ulp;
            Assert.True(error.max().item<float>() <= 1e-7, $"largest error beyond one rounding: {error.max().item<float>()}");
        }
    }
}
