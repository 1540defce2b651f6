using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Pretrained;

/// <summary>Tiny random models of every family, with non-trivial norm weights and every bias the family's checkpoints can hold.</summary>
internal static class FamilyModels
{
    public static readonly string[] Families = ["gpt2", "gpt-neo", "gpt-neox", "llama", "mistral", "qwen2", "gemma", "phi3", "stable-lm"];

    public static readonly Dictionary<string, string> ModelType = new()
    {
        ["gpt2"] = "gpt2", ["gpt-neo"] = "gpt_neo", ["gpt-neox"] = "gpt_neox", ["llama"] = "llama", ["mistral"] = "mistral",
        ["qwen2"] = "qwen2", ["gemma"] = "gemma", ["phi3"] = "phi3", ["stable-lm"] = "stablelm",
    };

    public const int Vocab = 37;

    public static HookedTransformerConfig Config(string family) => family switch
    {
        "gpt2" => HookedAutoConfig.Create("gpt2", vocabSize: Vocab, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 4, maxPositionEmbeddings: 12, seed: 3),
        "gpt-neo" => HookedAutoConfig.Create("gpt-neo", vocabSize: Vocab, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 4, maxPositionEmbeddings: 12, slidingWindow: 3, seed: 3),
        // d_head 6 with 2 rotary dims: rotary_pct must be written so that int(6 · pct) is 2, not 1.
        "gpt-neox" => HookedAutoConfig.Create("gpt-neox", vocabSize: Vocab, hiddenSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, partialRotaryFactor: 0.34, seed: 3),
        "llama" => HookedAutoConfig.Create("llama", vocabSize: Vocab, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, seed: 3),
        "mistral" => HookedAutoConfig.Create("mistral", vocabSize: Vocab, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, slidingWindow: 3, seed: 3),
        "qwen2" => HookedAutoConfig.Create("qwen2", vocabSize: Vocab, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, seed: 3),
        "gemma" => HookedAutoConfig.Create("gemma", vocabSize: Vocab, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 1, headDim: 6, seed: 3),
        "phi3" => HookedAutoConfig.Create("phi3", vocabSize: Vocab, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, seed: 3),
        "stable-lm" => HookedAutoConfig.Create("stable-lm", vocabSize: Vocab, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, seed: 3),
        _ => throw new ArgumentException(family),
    };

    /// <summary>The biases (TransformerLens leaf names) each family's checkpoints hold.</summary>
    private static readonly Dictionary<string, string[]> Biases = new()
    {
        ["gpt2"] = ["attn.b_Q", "attn.b_K", "attn.b_V", "attn.b_O", "mlp.b_in", "mlp.b_out", "ln1.b", "ln2.b", "ln_final.b"],
        ["gpt-neo"] = ["attn.b_O", "mlp.b_in", "mlp.b_out", "ln1.b", "ln2.b", "ln_final.b"],
        ["gpt-neox"] = ["attn.b_Q", "attn.b_K", "attn.b_V", "attn.b_O", "mlp.b_in", "mlp.b_out", "ln1.b", "ln2.b", "ln_final.b"],
        ["llama"] = ["attn.b_Q", "attn.b_K", "attn.b_V", "attn.b_O", "mlp.b_gate", "mlp.b_in", "mlp.b_out"],
        ["mistral"] = [],
        ["qwen2"] = ["attn.b_Q", "attn.b_K", "attn.b_V"],
        ["gemma"] = [],
        ["phi3"] = [],
        ["stable-lm"] = ["attn.b_Q", "attn.b_K", "attn.b_V", "ln1.b", "ln2.b", "ln_final.b"],
    };

    public static HookedTransformer Create(string family)
    {
        var model = new HookedTransformer(Config(family));
        using var noGrad = no_grad();
        var generator = new Generator(41);
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith(".w", StringComparison.Ordinal))
                p.add_(randn(p.shape, generator: generator) * 0.1);
            else if (Biases[family].Any(b => name.EndsWith(b, StringComparison.Ordinal)))
                p.add_(randn(p.shape, generator: generator) * 0.1);
        }
        return model;
    }

    public static Tensor Tokens(long batch = 2, long pos = 9) => randint(0, Vocab, [batch, pos], generator: new Generator(8));
}
