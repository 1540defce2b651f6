using System.Diagnostics;
using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Model;

public class CacheTests
{
    [Fact]
    public void RunWithCache_KeepsEveryActivation_AndTheLogitsOfAPlainForward()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(2, 6);
        var (logits, cache) = model.RunWithCache(tokens);
        using (cache)
        {
            Assert.Equal(model.HookNames, cache.Keys);
            using var noGrad = no_grad();
            Assert.True(logits.allclose(model.Forward(tokens), rtol: 0, atol: 0));
            Assert.True(cache["unembed.hook_out"].allclose(logits, rtol: 0, atol: 0));
            Assert.Same(cache["blocks.1.attn.hook_pattern"], cache["pattern", -1]);
            Assert.Same(cache["blocks.0.ln2.hook_scale"], cache["scale", 0, "ln2"]);
            var patternRows = cache["pattern", 0].sum(-1);
            Assert.True(patternRows.allclose(ones_like(patternRows), rtol: 0, atol: 1e-5));
        }
    }

    [Fact]
    public void RunWithCache_KeepsOnlyTheRequestedNames_AndRejectsUnknownOnes()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");
        var (_, cache) = model.RunWithCache(TestModels.Tokens(1, 5), ["blocks.0.hook_resid_post", "blocks.1.attn.hook_z"]);
        using (cache)
            Assert.Equal(["blocks.0.hook_resid_post", "blocks.1.attn.hook_z"], cache.Keys);
        var e = Assert.Throws<ArgumentException>(() => model.RunWithCache(TestModels.Tokens(1, 5), ["blocks.0.hook_resid_pots"]));
        Assert.Contains("blocks.0.hook_resid_post", e.Message);
    }

    [Fact]
    public void RemoveBatchDim_DropsTheLeadingDimension()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var (_, cache) = model.RunWithCache(TestModels.Tokens(1, 5), removeBatchDim: true);
        using (cache)
        {
            Assert.False(cache.HasBatchDim);
            Assert.Equal(new long[] { 5, 32 }, cache["resid_pre", 0].shape);
        }
        var (_, batched) = model.RunWithCache(TestModels.Tokens(2, 5));
        using (batched)
            Assert.Throws<InvalidOperationException>(() => batched.RemoveBatchDim());
    }

    [Fact]
    public void IncludeBackward_CachesGradientsOfTheMetric()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        const int target = 17;
        var (_, cache) = model.RunWithCache(TestModels.Tokens(1, 5), n => n.StartsWith("unembed") || n.EndsWith("hook_resid_post"),
            includeBackward: true, backwardMetric: logits => logits[0, -1, target]);
        using (cache)
        {
            // d logit[target] / d unembed.hook_in at the last position is W_U[:, target]; zero elsewhere.
            var gradient = cache["unembed.hook_in_grad"];
            Assert.True(gradient[0, -1].allclose(model.W_U[.., target], rtol: 0, atol: 1e-6));
            Assert.Equal(0f, gradient[0, ..^1].abs().max().item<float>());
            Assert.Equal(cache["blocks.1.hook_resid_post"].shape, cache["blocks.1.hook_resid_post_grad"].shape);
        }
    }

    [Fact]
    public void ABackwardHook_CanReplaceTheGradient()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        model.zero_grad();
        model.RunWithHooks(TestModels.Tokens(1, 5), [], [new Hook("blocks.1.hook_resid_post", (g, _) => zeros_like(g))],
            backwardMetric: logits => logits[0, -1, 3]);
        // Every path to earlier parameters goes through resid_post of the last block, so their gradients vanish.
        Assert.Equal(0f, model.embed.W_E.grad!.abs().max().item<float>());
        Assert.True(model.unembed.W_U.grad!.abs().max().item<float>() > 0);
    }

    internal static void RunAndDispose(HookedTransformer model, Tensor tokens)
    {
        var (logits, cache) = model.RunWithCache(tokens);
        logits.Dispose();
        cache.Dispose();
    }
}

public class BackwardHookFaultTests
{
    [Fact]
    public void ABackwardHookThatThrows_SurfacesAsAnException_NotAProcessCrash()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var e = Assert.Throws<InvalidOperationException>(() => model.RunWithHooks(TestModels.Tokens(1, 4), [],
            [new Hook("blocks.0.hook_resid_post", (_, _) => throw new InvalidOperationException("bad gradient hook"))],
            backwardMetric: logits => logits[0, -1, 1]));
        Assert.Equal("bad gradient hook", e.Message);
        Assert.DoesNotContain(model.named_modules(), m => m.module is HookPoint p && p.HasHooks);
    }
}

[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public class MemoryCollection;

/// <summary>Runs alone: other tests allocating in parallel would move the process's RSS.</summary>
[Collection(nameof(MemoryTests))]
public class MemoryTests
{
    private static long SettledTensorCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }

    [Fact]
    public void ACache_OwnsItsTensors_AndDisposingItFreesThem()
    {
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(1, 5);
        for (int i = 0; i < 3; i++)
            CacheTests.RunAndDispose(model, tokens);
        long before = SettledTensorCount();
        for (int i = 0; i < 20; i++)
            CacheTests.RunAndDispose(model, tokens);
        // Finalizers of other tests' garbage may lower the count; no live tensor may be added.
        Assert.InRange(SettledTensorCount(), 0, before);
    }

    [Fact]
    public void AThousandRunWithCacheCalls_KeepProcessMemoryFlat()
    {
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(2, 16);
        for (int i = 0; i < 300; i++)
            CacheTests.RunAndDispose(model, tokens);
        long tensors = SettledTensorCount();
        long warm = Process.GetCurrentProcess().WorkingSet64;
        for (int i = 0; i < 1000; i++)
            CacheTests.RunAndDispose(model, tokens);
        Assert.InRange(SettledTensorCount(), 0, tensors);
        long after = Process.GetCurrentProcess().WorkingSet64;
        Assert.InRange((double)after / warm, 0.9, 1.1);
    }
}
