using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Model;

public class ProcessWeightsTests
{
    public static IEnumerable<object[]> FamiliesAndSteps =>
        from family in new[] { "gpt2", "llama", "neox", "attn-only", "stable-lm" }
        from step in new[] { "all", "fold_ln", "center_writing_weights", "center_unembed", "fold_value_biases" }
        select new object[] { family, step };

    [Theory]
    [MemberData(nameof(FamiliesAndSteps))]
    public void ProcessWeights_LeavesLogSoftmaxUnchanged(string family, string step)
    {
        using var scope = NewDisposeScope();
        using var model = family == "stable-lm"
            ? new HookedTransformer(HookedAutoConfig.Create("stable-lm", vocabSize: 61, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, seed: 4))
            : TestModels.Create(family);
        if (family == "stable-lm")
            Perturb(model);
        var tokens = TestModels.Tokens(2, 9);
        using var noGrad = no_grad();
        var before = model.Forward(tokens).log_softmax(-1);
        var options = step switch
        {
            "all" => ProcessWeightsOptions.Default,
            "fold_ln" => ProcessWeightsOptions.None with { FoldLn = true },
            "center_writing_weights" => ProcessWeightsOptions.None with { CenterWritingWeights = true },
            "center_unembed" => ProcessWeightsOptions.None with { CenterUnembed = true },
            _ => ProcessWeightsOptions.None with { FoldValueBiases = true },
        };
        model.ProcessWeights(options);
        var after = model.Forward(tokens).log_softmax(-1);
        double error = (after - before).abs().max().item<float>();
        Assert.True(error <= 1e-4, $"{family}/{step}: max |Δ log-softmax| = {error}");
    }

    [Fact]
    public void FoldLn_TurnsLayerNormIntoLayerNormPre_AndRemovesTheNormWeights()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        model.ProcessWeights();
        Assert.Equal(NormalizationType.LayerNormPre, model.Cfg.Normalization);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.EndsWith("ln1.w") || p.name.EndsWith("ln_final.b"));
        // Writing weights are centred; value biases are folded.
        Assert.True(model.W_E.mean([-1L]).abs().max().item<float>() < 1e-6);
        Assert.Equal(0f, model.b_V.abs().max().item<float>());
    }

    [Fact]
    public void FoldLn_TurnsRmsNormIntoRmsNormPre_AndKeepsWritingWeights()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");
        var writing = model.W_O.clone();
        model.ProcessWeights();
        Assert.Equal(NormalizationType.RMSNormPre, model.Cfg.Normalization);
        Assert.True(model.W_O.allclose(writing, rtol: 0, atol: 0)); // RMSNorm does not centre, so neither do we
    }

    private static void Perturb(HookedTransformer model)
    {
        using var noGrad = no_grad();
        var generator = new Generator(77);
        foreach (var (name, p) in model.named_parameters())
            if (!name.Split('.').Last().StartsWith("W_"))
                p.add_(randn(p.shape, generator: generator) * 0.1);
    }
}
