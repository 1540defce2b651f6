namespace Arrakis.Tests.Model;

/// <summary>The four architecture families every model test runs on, small enough for CPU tests.</summary>
public static class TestModels
{
    public static IEnumerable<object[]> Families => new[] { "gpt2", "llama", "neox", "attn-only" }.Select(f => new object[] { f });

    public static HookedTransformerConfig Config(string family, int seed = 1) => family switch
    {
        "gpt2" => HookedAutoConfig.Create("gpt2", vocabSize: 61, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, maxPositionEmbeddings: 24, seed: seed),
        "llama" => HookedAutoConfig.Create("llama", vocabSize: 61, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, seed: seed),
        "neox" => HookedAutoConfig.Create("gpt-neox", vocabSize: 61, hiddenSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, partialRotaryFactor: 0.5, seed: seed),
        "attn-only" => new HookedTransformerConfig
        {
            NLayers = 2, DModel = 32, NHeads = 4, DHead = 8, DVocab = 61, NCtx = 24, AttnOnly = true,
            Normalization = NormalizationType.None, Seed = seed, ModelName = "attn-only",
        },
        _ => throw new ArgumentException(family),
    };

    public static HookedTransformer Create(string family, int seed = 1, HookOptions? options = null)
    {
        var model = new HookedTransformer(Config(family, seed), options);
        // Give biases and norm weights non-trivial values so the tests exercise them.
        using var noGrad = TorchSharp.torch.no_grad();
        var generator = new TorchSharp.torch.Generator((ulong)seed + 100);
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith(".w"))
                p.add_(TorchSharp.torch.randn(p.shape, generator: generator) * 0.1);
            else if (!name.Split('.').Last().StartsWith("W_"))
                p.add_(TorchSharp.torch.randn(p.shape, generator: generator) * 0.05);
        }
        return model;
    }

    public static TorchSharp.torch.Tensor Tokens(long batch, long pos, int seed = 5, int vocab = 61) =>
        TorchSharp.torch.randint(0, vocab, [batch, pos], generator: new TorchSharp.torch.Generator((ulong)seed));
}
