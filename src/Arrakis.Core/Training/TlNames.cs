namespace Arrakis.Training;

/// <summary>TransformerLens's spellings of configuration values (<c>act_fn</c>, <c>normalization_type</c>,
/// <c>positional_embedding_type</c>), as <c>arrakis train --config</c> takes them and model cards show them.</summary>
public static class TlNames
{
    /// <summary>TL's <c>act_fn</c> string.</summary>
    public static string ActName(ActivationFunction f) => f switch
    {
        ActivationFunction.GeluNew => "gelu_new",
        ActivationFunction.Gelu => "gelu",
        ActivationFunction.Relu => "relu",
        ActivationFunction.Silu => "silu",
        ActivationFunction.SoluLn => "solu_ln",
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, null),
    };

    /// <summary>Parses TL's <c>act_fn</c>.</summary>
    public static ActivationFunction ParseAct(string s) => s.ToLowerInvariant() switch
    {
        "gelu_new" or "gelu_pytorch_tanh" => ActivationFunction.GeluNew,
        "gelu" => ActivationFunction.Gelu,
        "relu" => ActivationFunction.Relu,
        "silu" or "swish" => ActivationFunction.Silu,
        "solu_ln" => ActivationFunction.SoluLn,
        _ => throw new FormatException($"act_fn '{s}' is not one of gelu_new, gelu, relu, silu, solu_ln."),
    };

    /// <summary>TL's <c>normalization_type</c> string (null for none).</summary>
    public static string? NormName(NormalizationType n) => n switch
    {
        NormalizationType.LayerNorm => "LN",
        NormalizationType.LayerNormPre => "LNPre",
        NormalizationType.RMSNorm => "RMS",
        NormalizationType.RMSNormPre => "RMSPre",
        NormalizationType.None => null,
        _ => throw new ArgumentOutOfRangeException(nameof(n), n, null),
    };

    /// <summary>Parses TL's <c>normalization_type</c>.</summary>
    public static NormalizationType ParseNorm(string? s) => s switch
    {
        null or "none" or "None" => NormalizationType.None,
        "LN" => NormalizationType.LayerNorm,
        "LNPre" => NormalizationType.LayerNormPre,
        "RMS" => NormalizationType.RMSNorm,
        "RMSPre" => NormalizationType.RMSNormPre,
        _ => throw new FormatException($"normalization_type '{s}' is not one of LN, LNPre, RMS, RMSPre, null."),
    };

    /// <summary>TL's <c>positional_embedding_type</c> string.</summary>
    public static string PosName(PositionalEmbeddingType p) => p switch
    {
        PositionalEmbeddingType.Learned => "standard",
        PositionalEmbeddingType.Rotary => "rotary",
        PositionalEmbeddingType.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };

    /// <summary>Parses TL's <c>positional_embedding_type</c>.</summary>
    public static PositionalEmbeddingType ParsePos(string s) => s.ToLowerInvariant() switch
    {
        "standard" or "learned" => PositionalEmbeddingType.Learned,
        "rotary" => PositionalEmbeddingType.Rotary,
        "none" => PositionalEmbeddingType.None,
        _ => throw new FormatException($"positional_embedding_type '{s}' is not one of standard, rotary, none."),
    };
}
