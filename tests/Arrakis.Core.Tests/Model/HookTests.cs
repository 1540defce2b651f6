using System.Text.RegularExpressions;
using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Model;

public class HookTests
{
    private static readonly HookOptions AllOptIn = new() { UseAttnResult = true, UseHookMlpIn = true };

    [Theory]
    [MemberData(nameof(TestModels.Families), MemberType = typeof(TestModels))]
    public void EveryHookName_FiresExactlyOncePerForward_WithTheDocumentedShape(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family, options: AllOptIn);
        var cfg = model.Cfg;
        const long batch = 2, pos = 7;
        var fired = new Dictionary<string, long[]>();
        var counts = new Dictionary<string, int>();
        var hooks = new[] { new Hook(_ => true, (a, ctx) => { counts[ctx.Name] = counts.GetValueOrDefault(ctx.Name) + 1; fired[ctx.Name] = a.shape; return null; }) };
        model.RunWithHooks(TestModels.Tokens(batch, pos), hooks);

        Assert.Equal(model.HookNames.OrderBy(n => n), counts.Keys.OrderBy(n => n));
        Assert.All(counts, c => Assert.Equal(1, c.Value));
        int h = cfg.NHeads, kv = cfg.EffectiveKeyValueHeads;
        foreach (var (name, shape) in fired)
        {
            long[] expected = Regex.Replace(name, @"^blocks\.\d+\.", "") switch
            {
                "hook_embed" or "hook_pos_embed" or "hook_resid_pre" or "hook_resid_mid" or "hook_resid_post" or "hook_attn_out"
                    or "hook_mlp_in" or "hook_mlp_out" or "ln1.hook_normalized" or "ln2.hook_normalized" or "ln_final.hook_normalized"
                    or "unembed.hook_in" => [batch, pos, cfg.DModel],
                "ln1.hook_scale" or "ln2.hook_scale" or "ln_final.hook_scale" => [batch, pos, 1],
                "attn.hook_q" or "attn.hook_rot_q" or "attn.hook_z" => [batch, pos, h, cfg.DHead],
                "attn.hook_k" or "attn.hook_v" or "attn.hook_rot_k" => [batch, pos, kv, cfg.DHead],
                "attn.hook_attn_scores" or "attn.hook_pattern" => [batch, h, pos, pos],
                "attn.hook_result" => [batch, pos, h, cfg.DModel],
                "mlp.hook_pre" or "mlp.hook_post" or "mlp.hook_pre_linear" => [batch, pos, cfg.DMlp],
                "unembed.hook_out" => [batch, pos, cfg.DVocab],
                var other => throw new Xunit.Sdk.XunitException($"no documented shape for {other}"),
            };
            Assert.True(expected.SequenceEqual(shape), $"{name}: [{string.Join(",", shape)}] vs documented [{string.Join(",", expected)}]");
        }
        Assert.Equal(family is "gpt2" or "attn-only", model.HookNames.Contains("hook_pos_embed"));
        Assert.Equal(family is "llama" or "neox", model.HookNames.Contains("blocks.0.attn.hook_rot_q"));
        Assert.Equal(family is "gpt2" or "llama", model.HookNames.Contains("blocks.0.hook_resid_mid"));
    }

    [Theory]
    [MemberData(nameof(TestModels.Families), MemberType = typeof(TestModels))]
    public void ZeroingOneHeadsZ_EqualsRemovingThatHeadsOutputWeights(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        using var edited = TestModels.Create(family);
        const int layer = 1, head = 2;
        using (no_grad())
            edited.blocks[layer].attn.W_O[head].zero_();
        var tokens = TestModels.Tokens(2, 8);
        var hooked = model.RunWithHooks(tokens, [($"blocks.{layer}.attn.hook_z", (HookFunction)((z, _) =>
        {
            var copy = z.clone();
            copy[.., .., head] = 0;
            return copy;
        }))]);
        using var noGrad = no_grad();
        Assert.True(hooked.allclose(edited.Forward(tokens), rtol: 0, atol: 1e-6));
        Assert.False(hooked.allclose(model.Forward(tokens), rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void Hooks_AreRemovedWhenTheRunThrows()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var boom = new Hook("blocks.0.hook_resid_post", (_, _) => throw new InvalidOperationException("boom"));
        Assert.Throws<InvalidOperationException>(() => model.RunWithHooks(TestModels.Tokens(1, 4), [boom]));
        Assert.DoesNotContain(model.named_modules(), m => m.module is HookPoint p && p.HasHooks);
    }

    [Fact]
    public void AHookReturningAnotherShape_IsAnErrorNamingTheHook_AndNothingStaysAttached()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var bad = new Hook("blocks.1.hook_attn_out", (a, _) => a[.., ..2]);
        var e = Assert.Throws<InvalidOperationException>(() => model.RunWithHooks(TestModels.Tokens(1, 4), [bad]));
        Assert.Contains("blocks.1.hook_attn_out", e.Message);
        Assert.DoesNotContain(model.named_modules(), m => m.module is HookPoint p && p.HasHooks);
    }

    [Fact]
    public void AnUnknownHookName_ListsTheClosestValidNames_AndAttachesNothing()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var good = new Hook("blocks.0.hook_resid_pre", (_, _) => null);
        var typo = new Hook("blocks.0.hook_resid_psot", (_, _) => null);
        var e = Assert.Throws<ArgumentException>(() => model.Hooks([good, typo]));
        Assert.Contains("blocks.0.hook_resid_post", e.Message);
        Assert.DoesNotContain(model.named_modules(), m => m.module is HookPoint p && p.HasHooks);
    }

    [Fact]
    public void AHookOnAnOptInPointThatIsOff_IsAnError()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var e = Assert.Throws<ArgumentException>(() => model.Hooks([new Hook("blocks.0.attn.hook_result", (_, _) => null)]));
        Assert.Contains("UseAttnResult", e.Message);
        model.SetHookOptions(new HookOptions { UseAttnResult = true });
        using (model.Hooks([new Hook("blocks.0.attn.hook_result", (_, _) => null)]))
            Assert.Throws<InvalidOperationException>(() => model.SetHookOptions(new HookOptions()));
    }

    [Fact]
    public void ScopedHooks_LastUntilDisposed_AndTellTheirLayer()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");
        var layers = new List<int?>();
        var hook = new Hook(n => n.EndsWith("hook_resid_pre"), (_, ctx) => { layers.Add(ctx.Layer); return null; });
        using (model.Hooks([hook]))
        {
            using var noGrad = no_grad();
            model.Forward(TestModels.Tokens(1, 3));
            model.Forward(TestModels.Tokens(1, 3));
        }
        model.Forward(TestModels.Tokens(1, 3));
        Assert.Equal(new int?[] { 0, 1, 0, 1 }, layers);
    }

    [Fact]
    public void SplitQkvInputs_PatchingOneHeadsQueryInput_ChangesOnlyThatHeadsQueries()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2", options: new HookOptions { UseSplitQkvInput = true, UseAttnIn = true });
        var tokens = TestModels.Tokens(1, 5);
        using var noGrad = no_grad();
        var (plainLogits, plain) = model.RunWithCache(tokens, n => n == "blocks.0.attn.hook_q");
        using (plain)
        {
            var patch = new Hook("blocks.0.hook_q_input", (x, _) => { var c = x.clone(); c[.., .., 1] = 0; return c; });
            Tensor? patchedQ = null;
            var read = new Hook("blocks.0.attn.hook_q", (q, _) => { patchedQ = q.clone().DetachFromDisposeScope(); return null; });
            model.RunWithHooks(tokens, [patch, read]);
            var difference = (patchedQ! - plain["blocks.0.attn.hook_q"]).abs().amax([0L, 1L, 3L]);  // per head
            Assert.True(difference[1].item<float>() > 1e-3);
            Assert.True(difference[0].item<float>() + difference[2].item<float>() + difference[3].item<float>() == 0);
            Assert.True(model.Forward(tokens).allclose(plainLogits, rtol: 0, atol: 1e-5)); // split inputs alone change nothing
            patchedQ!.Dispose();
        }
    }
}
