using static TorchSharp.torch;

namespace Arrakis.Experiments;

/// <summary>The model the experiments run against: a seeded two-layer GPT-2-style model, small enough for CPU tests.</summary>
public static class TinyModel
{
    public const int Vocab = 61;

    public static HookedTransformer Create(int seed = 1) =>
        new(HookedAutoConfig.Create("gpt2", vocabSize: Vocab, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, maxPositionEmbeddings: 24, seed: seed));

    /// <summary>Random token ids [batch, pos] (Arrakis's <c>torch.randint(0, 50256, (1, 50))</c>, scaled down).</summary>
    public static Tensor Tokens(long batch = 1, long pos = 12, int seed = 5) =>
        randint(0, Vocab, [batch, pos], generator: new Generator((ulong)seed));
}
