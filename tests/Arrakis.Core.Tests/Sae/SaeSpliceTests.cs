using Arrakis.Hooks;
using Arrakis.Sae;
using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Sae;

/// <summary>An SAE spliced into a model: its hook points are the model's, and with the error term nothing changes.</summary>
public sealed class SaeSpliceTests
{
    private const string Host = "blocks.1.hook_mlp_out";

    private static SparseAutoencoder Sae() => SaeTestData.Random(new SaeConfig { DIn = 32, DSae = 64, HookName = Host, HookLayer = 1 });

    [Fact]
    public void WithTheErrorTerm_TheLogitsAreUnchanged()
    {
        using var model = TestModels.Create("gpt2");
        using var sae = Sae();
        using var tokens = TestModels.Tokens(3, 12);
        using var clean = model.Forward(tokens);
        using (SaeSplice.Attach(model, sae, useErrorTerm: true))
        using (var spliced = model.Forward(tokens))
        {
            double gap = (spliced - clean).abs().max().ToDouble();
            Assert.True(gap <= 1e-4, $"max |Δlogit| {gap:G3}");
        }
        using (SaeSplice.Attach(model, sae, useErrorTerm: false))
        using (var reconstructed = model.Forward(tokens))
            Assert.True((reconstructed - clean).abs().max().ToDouble() > 1e-2, "without the error term the SAE's reconstruction should change the logits");
    }

    [Fact]
    public void TheSaeHookPoints_AreModelHookPoints_InRunWithCacheAndRunWithHooks()
    {
        using var model = TestModels.Create("gpt2");
        using var sae = Sae();
        using var tokens = TestModels.Tokens(2, 10);
        using var splice = SaeSplice.Attach(model, sae, useErrorTerm: true);
        var names = model.HookNames;
        int host = names.ToList().IndexOf(Host);
        Assert.Equal(SparseAutoencoder.HookPointNames.Select(n => $"{Host}.{n}"), names.Skip(host + 1).Take(6));

        var (logits, cache) = model.RunWithCache(tokens);
        using (logits)
        using (cache)
        {
            Assert.Equal([2L, 10, 64], cache[$"{Host}.hook_sae_acts_post"].shape);
            Assert.Equal([2L, 10, 32], cache[$"{Host}.hook_sae_error"].shape);
            using var recons = sae.Decode(cache[$"{Host}.hook_sae_acts_post"]);
            Assert.True(recons.allclose(cache[$"{Host}.hook_sae_recons"], rtol: 0, atol: 1e-5));
        }

        // Ablating every latent through RunWithHooks leaves only b_dec + error: the logits move.
        using var clean = model.Forward(tokens);
        using var ablated = model.RunWithHooks(tokens, [new Hook($"{Host}.hook_sae_acts_post", (a, _) => zeros_like(a))]);
        Assert.True((ablated - clean).abs().max().ToDouble() > 1e-3);
    }

    [Fact]
    public void Disposing_RemovesTheSpliceAndItsHookPoints()
    {
        using var model = TestModels.Create("gpt2");
        using var sae = Sae();
        using var tokens = TestModels.Tokens(2, 8);
        using var clean = model.Forward(tokens);
        int count = model.HookNames.Count;
        using (SaeSplice.Attach(model, sae))
            Assert.Equal(count + 6, model.HookNames.Count);
        Assert.Equal(count, model.HookNames.Count);
        Assert.Throws<ArgumentException>(() => model.GetHookPoint($"{Host}.hook_sae_input"));
        using var after = model.Forward(tokens);
        Assert.True(after.eq(clean).all().ToBoolean());
        Assert.Equal("hook_sae_input", sae.hook_sae_input.Name);
    }

    [Fact]
    public void SplicingTwiceAtOnePoint_IsRefused()
    {
        using var model = TestModels.Create("gpt2");
        using var sae = Sae();
        using var other = Sae();
        using var first = SaeSplice.Attach(model, sae);
        var e = Assert.Throws<ArgumentException>(() => SaeSplice.Attach(model, other));
        Assert.Contains("already", e.Message);
    }

    [Fact]
    public void AnUnknownHookName_IsRefused_WithTheClosestNames()
    {
        using var model = TestModels.Create("gpt2");
        using var sae = Sae();
        var e = Assert.Throws<ArgumentException>(() => SaeSplice.Attach(model, sae, "blocks.1.hook_mlp_outt"));
        Assert.Contains("blocks.1.hook_mlp_out", e.Message);
    }
}
