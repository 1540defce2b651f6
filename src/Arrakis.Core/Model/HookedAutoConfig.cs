using TorchSharp;

namespace Arrakis;

/// <summary>
/// Family-aware configurations (Arrakis <c>HookedAutoConfig(name, …)</c>): a Hugging Face family name plus Hugging Face
/// style arguments, with that family's conventions (normalisation, activation, positions, gating, parallel blocks,
/// tied embeddings, …) and small defaults that run on a laptop CPU.
/// </summary>
public static class HookedAutoConfig
{
    /// <summary>The family names accepted by <see cref="Create"/>.</summary>
    public static readonly IReadOnlyList<string> Families = ["gpt2", "gpt-neo", "gpt-neox", "llama", "gemma", "phi3", "qwen2", "mistral", "stable-lm"];

    /// <summary>
    /// A configuration for <paramref name="name"/> (case-insensitive; <c>gpt_neox</c>, <c>stablelm</c> and similar spellings
    /// are accepted). Arguments left <c>null</c> take small defaults: vocab 50257, hidden 256, intermediate 4×hidden
    /// (gated families 2.75×hidden rounded), 4 layers, 8 heads (llama, mistral and qwen2: 4 key/value heads), 2048 positions.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown family; the message lists the supported ones.</exception>
    public static HookedTransformerConfig Create(
        string name,
        int? vocabSize = null,
        int? hiddenSize = null,
        int? intermediateSize = null,
        int? numHiddenLayers = null,
        int? numAttentionHeads = null,
        int? numKeyValueHeads = null,
        int? maxPositionEmbeddings = null,
        int? headDim = null,
        double? ropeTheta = null,
        double? partialRotaryFactor = null,
        double? layerNormEps = null,
        int? slidingWindow = null,
        bool? tieWordEmbeddings = null,
        int? seed = null,
        DeviceChoice device = DeviceChoice.Cpu,
        torch.ScalarType dtype = torch.ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(name);
        string family = Normalize(name);
        int hidden = hiddenSize ?? 256;
        int heads = numAttentionHeads ?? 8;
        int layers = numHiddenLayers ?? 4;
        bool gated = family is "llama" or "gemma" or "phi3" or "qwen2" or "mistral" or "stable-lm";
        int intermediate = intermediateSize ?? (gated ? (int)Math.Round(hidden * 2.75 / 8) * 8 : 4 * hidden);
        int dHead = headDim ?? hidden / Math.Max(heads, 1);
        int? kvHeads = numKeyValueHeads ?? (family is "llama" or "mistral" or "qwen2" && heads % 2 == 0 ? heads / 2 : null);

        var cfg = new HookedTransformerConfig
        {
            ModelName = family,
            DVocab = vocabSize ?? 50257,
            DModel = hidden,
            NHeads = heads,
            DHead = dHead,
            NKeyValueHeads = kvHeads,
            NLayers = layers,
            DMlp = intermediate,
            NCtx = maxPositionEmbeddings ?? 2048,
            Seed = seed,
            Device = device,
            Dtype = dtype,
            GatedMlp = gated,
        };
        cfg = family switch
        {
            "gpt2" => cfg with { Normalization = NormalizationType.LayerNorm, ActFn = ActivationFunction.GeluNew, TiedEmbeddings = tieWordEmbeddings ?? true, Eps = layerNormEps ?? 1e-5 },
            "gpt-neo" => cfg with
            {
                Normalization = NormalizationType.LayerNorm, ActFn = ActivationFunction.GeluNew, TiedEmbeddings = tieWordEmbeddings ?? true,
                UseAttnScale = false, Eps = layerNormEps ?? 1e-5, WindowSize = slidingWindow ?? 256,
                AttentionTypes = Enumerable.Range(0, layers).Select(l => l % 2 == 0 ? AttentionType.Global : AttentionType.Local).ToArray(),
            },
            "gpt-neox" => cfg with
            {
                Normalization = NormalizationType.LayerNorm, ActFn = ActivationFunction.Gelu, PositionalEmbedding = PositionalEmbeddingType.Rotary,
                RotaryDim = RotaryDims(dHead, partialRotaryFactor ?? 0.25), RotaryBase = ropeTheta ?? 10000, ParallelAttnMlp = true,
                TiedEmbeddings = tieWordEmbeddings ?? false, Eps = layerNormEps ?? 1e-5,
            },
            "llama" or "mistral" or "qwen2" or "phi3" => cfg with
            {
                Normalization = NormalizationType.RMSNorm, ActFn = ActivationFunction.Silu, PositionalEmbedding = PositionalEmbeddingType.Rotary,
                RotaryBase = ropeTheta ?? (family == "qwen2" ? 1_000_000 : 10000), TiedEmbeddings = tieWordEmbeddings ?? false,
                Eps = layerNormEps ?? (family is "phi3" ? 1e-5 : 1e-6),
                WindowSize = family == "mistral" ? slidingWindow ?? 4096 : slidingWindow,
                AttentionTypes = family == "mistral" || slidingWindow is not null ? Enumerable.Repeat(AttentionType.Local, layers).ToArray() : null,
            },
            "gemma" => cfg with
            {
                Normalization = NormalizationType.RMSNorm, ActFn = ActivationFunction.GeluNew, PositionalEmbedding = PositionalEmbeddingType.Rotary,
                RotaryBase = ropeTheta ?? 10000, TiedEmbeddings = tieWordEmbeddings ?? true, Eps = layerNormEps ?? 1e-6, EmbeddingScale = Math.Sqrt(hidden),
            },
            "stable-lm" => cfg with
            {
                Normalization = NormalizationType.LayerNorm, ActFn = ActivationFunction.Silu, PositionalEmbedding = PositionalEmbeddingType.Rotary,
                RotaryDim = RotaryDims(dHead, partialRotaryFactor ?? 0.25), RotaryBase = ropeTheta ?? 10000, TiedEmbeddings = tieWordEmbeddings ?? false,
                Eps = layerNormEps ?? 1e-5,
            },
            _ => throw new InvalidOperationException("unreachable"),
        };
        return cfg.Validate();
    }

    private static int RotaryDims(int dHead, double fraction)
    {
        int dims = (int)(dHead * fraction);
        return Math.Max(2, dims - dims % 2);
    }

    private static string Normalize(string name)
    {
        string key = name.Trim().ToLowerInvariant().Replace('_', '-');
        key = key switch { "gptneo" => "gpt-neo", "gptneox" or "pythia" => "gpt-neox", "stablelm" => "stable-lm", "phi-3" => "phi3", "qwen-2" => "qwen2", _ => key };
        if (!Families.Contains(key))
            throw new ArgumentException($"Unknown model family '{name}'; supported: {string.Join(", ", Families)}.", nameof(name));
        return key;
    }
}
