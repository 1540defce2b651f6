using System.Text.Json;
using Arrakis.Tests.Model;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>The <c>patching</c> tool, loaded from its plugin: the Core computations, labelled, printed and serialised.</summary>
[Collection(ToolsCollection.Name)]
public sealed class PatchingToolTests(BuiltInTools tools)
{
    private static Tensor LogitDiff(Tensor logits) => logits[.., -1, 3] - logits[.., -1, 7];

    [Fact]
    public void TheToolsFamily_IsCoresPatching_Labelled()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var clean = TestModels.Tokens(2, 6, seed: 5);
        var corrupted = TestModels.Tokens(2, 6, seed: 9);
        var patching = tools.Patching(model);
        using var table = patching.GetActPatchResidPre(clean, corrupted, LogitDiff);
        using var core = ActivationPatching.GetActPatchResidPre(model, clean, corrupted, LogitDiff);
        Assert.Equal(["layer", "pos"], table.Axes);
        Assert.True(table.IsExact);
        Assert.True(table.Values.allclose(core.Values, rtol: 0, atol: 0));
        Assert.Equal("denoising", table.Direction);
        Assert.Equal(core.CorruptedMetric, table.Baseline);

        var every = patching.GetActPatchAttnHeadAllPosEvery(clean, corrupted, LogitDiff);
        Assert.Equal(["z", "q", "k", "v", "pattern"], every.Select(t => t.Activation));
        var blocks = patching.GetActPatchBlockEvery(clean, corrupted, LogitDiff, PatchDirection.Noising);
        Assert.Equal(["resid_pre", "attn_out", "mlp_out"], blocks.Select(t => t.Activation));
        Assert.All(blocks, b => Assert.Equal("noising", b.Direction));
    }

    [Fact]
    public void Results_PrintAsTables_SayWhatIsApproximate_AndSerialise()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");
        var clean = TestModels.Tokens(2, 6, seed: 5);
        var corrupted = TestModels.Tokens(2, 6, seed: 9);
        var patching = tools.Patching(model);
        using var grid = patching.GetActPatchAttnHeadOutAllPos(clean, corrupted, LogitDiff);
        using var byPos = patching.GetActPatchAttnHeadKByPos(clean, corrupted, LogitDiff);
        using var atp = patching.AttributionPatch(clean, corrupted, LogitDiff, "k", [PatchAxis.Layer, PatchAxis.Head], options: new AttributionOptions { QkFix = true });
        var edges = patching.EdgeAttributionPatch(clean, corrupted, LogitDiff, integratedGradientSteps: 4);

        string text = grid.ToString();
        Assert.Contains("exact activation patching of z [layer, head], denoising", text);
        Assert.Contains("head 3", text);
        Assert.Equal(new long[] { 2, 6, 2 }, byPos.Values.shape);   // keys by key/value head under GQA
        Assert.Contains("largest |effects| of 24", byPos.ToString());
        Assert.False(atp.IsExact);
        Assert.Contains("AtP* (attribution patching: a first-order estimate, not a patch)", atp.ToString());
        Assert.Contains("EAP-IG (edge attribution patching: first-order estimates, not patches)", edges.ToString());
        Assert.Equal(20, edges.ToString().Split('\n').Count(l => l.Contains("->")));

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(byPos));
        Assert.Equal([2, 6, 2], json.RootElement.GetProperty("Values").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(24, json.RootElement.GetProperty("Values").GetProperty("values").GetArrayLength());
        Assert.Equal("k", json.RootElement.GetProperty("Activation").GetString());
        using var edgeJson = JsonDocument.Parse(JsonSerializer.Serialize(edges));
        Assert.Equal(edges.Edges.Count, edgeJson.RootElement.GetProperty("Edges").GetArrayLength());
    }

    [Fact]
    public void BadInput_IsRefused_NamingTheToolsArgument()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var patching = tools.Patching(model);
        var e = Assert.Throws<ArgumentException>(() => patching.GetActPatchResidPre(TestModels.Tokens(2, 6), TestModels.Tokens(2, 5), LogitDiff));
        Assert.Equal("corruptedIds", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => patching.GetActPatchResidPre(TestModels.Tokens(2, 6), TestModels.Tokens(2, 6, seed: 9), l => l.sum()));
        Assert.Equal("metric", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => patching.GenericActivationPatch(TestModels.Tokens(2, 6), TestModels.Tokens(2, 6, seed: 9), LogitDiff, "hook_nothing", [PatchAxis.Layer]));
        Assert.Equal("activationName", e.ParamName);
        Assert.Throws<InvalidOperationException>(() => tools.Host.Registry.Get<IActivationPatcher>("patching").GetActPatchResidPre(TestModels.Tokens(1, 2), TestModels.Tokens(1, 2), LogitDiff));
    }
}
