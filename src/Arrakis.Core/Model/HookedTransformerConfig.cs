using System.Text.Json.Serialization;
using TorchSharp;

namespace Arrakis;

/// <summary>
/// Architecture of a <see cref="HookedTransformer"/> (TransformerLens <c>HookedTransformerConfig</c>; property names are
/// the TL names in C# casing, e.g. <c>n_layers</c> → <see cref="NLayers"/>). Immutable: derive a changed copy with <c>with</c>.
/// </summary>
/// <example><code>
/// var cfg = new HookedTransformerConfig { NLayers = 2, DModel = 64, NHeads = 4, DHead = 16, DVocab = 100, NCtx = 32, AttnOnly = true };
/// using var model = new HookedTransformer(cfg);
/// </code></example>
public sealed record HookedTransformerConfig
{
    /// <summary><c>n_layers</c>: number of transformer blocks.</summary>
    public int NLayers { get; init; }

    /// <summary><c>d_model</c>: width of the residual stream.</summary>
    public int DModel { get; init; }

    /// <summary><c>n_heads</c>: query heads per attention layer.</summary>
    public int NHeads { get; init; }

    /// <summary><c>d_head</c>: width of each head's query/key/value.</summary>
    public int DHead { get; init; }

    /// <summary><c>n_key_value_heads</c>: key/value heads for grouped-query attention; <c>null</c> means <see cref="NHeads"/>.</summary>
    public int? NKeyValueHeads { get; init; }

    /// <summary><c>d_mlp</c>: hidden width of each MLP (ignored when <see cref="AttnOnly"/>).</summary>
    public int DMlp { get; init; }

    /// <summary><c>d_vocab</c>: vocabulary size.</summary>
    public int DVocab { get; init; }

    /// <summary><c>n_ctx</c>: longest sequence (the size of <c>W_pos</c> for learned positions).</summary>
    public int NCtx { get; init; }

    /// <summary><c>act_fn</c>.</summary>
    public ActivationFunction ActFn { get; init; } = ActivationFunction.GeluNew;

    /// <summary><c>normalization_type</c>.</summary>
    public NormalizationType Normalization { get; init; } = NormalizationType.LayerNorm;

    /// <summary><c>positional_embedding_type</c>.</summary>
    public PositionalEmbeddingType PositionalEmbedding { get; init; } = PositionalEmbeddingType.Learned;

    /// <summary><c>rotary_dim</c>: how many dims of each query/key head are rotated; <c>null</c> means all of <see cref="DHead"/>.</summary>
    public int? RotaryDim { get; init; }

    /// <summary><c>rotary_base</c>: θ_i = base^(−2i/rotary_dim).</summary>
    public double RotaryBase { get; init; } = 10000;

    /// <summary><c>attn_only</c>: blocks have no MLP.</summary>
    public bool AttnOnly { get; init; }

    /// <summary><c>parallel_attn_mlp</c>: attention and MLP both read <c>resid_pre</c> (GPT-NeoX, GPT-J); no <c>hook_resid_mid</c>.</summary>
    public bool ParallelAttnMlp { get; init; }

    /// <summary><c>gated_mlp</c>: post = act(x·W_gate) ⊙ (x·W_in + b_in) (SwiGLU with silu, GeGLU with gelu).</summary>
    public bool GatedMlp { get; init; }

    /// <summary>Whether the unembedding is tied to the embedding (W_U = W_Eᵀ at initialisation and on save).</summary>
    public bool TiedEmbeddings { get; init; }

    /// <summary><c>use_attn_scale</c>: divide attention scores by <see cref="EffectiveAttnScale"/>.</summary>
    public bool UseAttnScale { get; init; } = true;

    /// <summary><c>attn_scale</c>; <c>null</c> means √d_head.</summary>
    public double? AttnScale { get; init; }

    /// <summary><c>eps</c> of the normalisation layers.</summary>
    public double Eps { get; init; } = 1e-5;

    /// <summary>Multiplier applied to the token embedding before <c>hook_embed</c> (Gemma: √d_model); <c>null</c> means 1.</summary>
    public double? EmbeddingScale { get; init; }

    /// <summary>Per-layer attention kind (GPT-Neo alternates global/local; Mistral is all local); <c>null</c> means all global.</summary>
    public AttentionType[]? AttentionTypes { get; init; }

    /// <summary><c>window_size</c> of local attention layers: a query sees itself and the previous window−1 positions.</summary>
    public int? WindowSize { get; init; }

    /// <summary><c>initializer_range</c>: std of the normal initialisation; <c>null</c> means 0.8/√d_model as in TransformerLens.</summary>
    public double? InitializerRange { get; init; }

    /// <summary><c>dtype</c> of parameters and activations (float32, float16 or bfloat16).</summary>
    [JsonIgnore]
    public torch.ScalarType Dtype { get; init; } = torch.ScalarType.Float32;

    /// <summary>Where the model lives (cpu, cuda, auto).</summary>
    public DeviceChoice Device { get; init; } = DeviceChoice.Cpu;

    /// <summary><c>seed</c> for deterministic initialisation; <c>null</c> means 0.</summary>
    public int? Seed { get; init; }

    /// <summary><c>model_name</c>: a label (zoo name, folder, family).</summary>
    public string ModelName { get; init; } = "custom";

    /// <summary>
    /// <c>original_architecture</c>: the Hugging Face <c>model_type</c> the weights were loaded from (<c>gpt2</c>,
    /// <c>llama</c>, …), or null. <see cref="HookedTransformer.SavePretrained"/> writes that layout by default.
    /// </summary>
    public string? OriginalArchitecture { get; init; }

    /// <summary>The number of key/value heads actually used.</summary>
    [JsonIgnore]
    public int EffectiveKeyValueHeads => NKeyValueHeads ?? NHeads;

    /// <summary>The number of rotated dimensions actually used.</summary>
    [JsonIgnore]
    public int EffectiveRotaryDim => RotaryDim ?? DHead;

    /// <summary>The divisor of attention scores (1 when <see cref="UseAttnScale"/> is false).</summary>
    [JsonIgnore]
    public double EffectiveAttnScale => UseAttnScale ? AttnScale ?? Math.Sqrt(DHead) : 1.0;

    /// <summary>The attention kind of <paramref name="layer"/>.</summary>
    public AttentionType AttentionTypeOf(int layer) => AttentionTypes is { } types ? types[layer] : AttentionType.Global;

    /// <summary>Whether the normalisation has learned weights (LN or RMS, not the Pre variants).</summary>
    [JsonIgnore]
    public bool HasNormWeights => Normalization is NormalizationType.LayerNorm or NormalizationType.RMSNorm;

    /// <summary>Whether the normalisation centres its input (LN and LNPre).</summary>
    [JsonIgnore]
    public bool NormCenters => Normalization is NormalizationType.LayerNorm or NormalizationType.LayerNormPre;

    /// <summary>Checks every field and their combinations.</summary>
    /// <exception cref="ArgumentException">A field is out of range; the message names it, its value and what was expected.</exception>
    public HookedTransformerConfig Validate()
    {
        Positive(NLayers, nameof(NLayers));
        Positive(DModel, nameof(DModel));
        Positive(NHeads, nameof(NHeads));
        Positive(DHead, nameof(DHead));
        Positive(DVocab, nameof(DVocab));
        Positive(NCtx, nameof(NCtx));
        if (!AttnOnly)
            Positive(DMlp, nameof(DMlp));
        if (EffectiveKeyValueHeads <= 0 || NHeads % EffectiveKeyValueHeads != 0)
            throw new ArgumentException($"{nameof(NKeyValueHeads)} is {NKeyValueHeads}; expected a positive divisor of {nameof(NHeads)} ({NHeads}).", nameof(NKeyValueHeads));
        if (PositionalEmbedding == PositionalEmbeddingType.Rotary && (EffectiveRotaryDim <= 0 || EffectiveRotaryDim > DHead || EffectiveRotaryDim % 2 != 0))
            throw new ArgumentException($"{nameof(RotaryDim)} is {EffectiveRotaryDim}; expected an even number in [2, {DHead}] ({nameof(DHead)}).", nameof(RotaryDim));
        if (Eps <= 0)
            throw new ArgumentException($"{nameof(Eps)} is {Eps}; expected a positive number.", nameof(Eps));
        if (AttentionTypes is { } types && types.Length != NLayers)
            throw new ArgumentException($"{nameof(AttentionTypes)} has {types.Length} entries; expected one per layer ({NLayers}).", nameof(AttentionTypes));
        if (AttentionTypes?.Contains(AttentionType.Local) == true && WindowSize is not > 0)
            throw new ArgumentException($"{nameof(WindowSize)} is {WindowSize?.ToString() ?? "null"}; local attention layers need a positive window.", nameof(WindowSize));
        if (Dtype is not (torch.ScalarType.Float32 or torch.ScalarType.Float16 or torch.ScalarType.BFloat16 or torch.ScalarType.Float64))
            throw new ArgumentException($"{nameof(Dtype)} is {Dtype}; expected Float32, Float16, BFloat16 or Float64.", nameof(Dtype));
        if (GatedMlp && ActFn == ActivationFunction.SoluLn)
            throw new ArgumentException($"{nameof(ActFn)} SoluLn cannot be combined with {nameof(GatedMlp)}.", nameof(ActFn));
        return this;
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
            throw new ArgumentException($"{name} is {value}; expected a positive integer.", name);
    }
}
