using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Arrakis.Training;

/// <summary>
/// <c>config.json</c> of an Arrakis-native model folder: <c>"model_type": "hooked_transformer"</c> and the
/// <see cref="HookedTransformerConfig"/> fields under their TransformerLens names (<c>n_layers</c>, <c>d_model</c>,
/// <c>normalization_type</c>: "LN"/"LNPre"/"RMS"/"RMSPre"/null, <c>positional_embedding_type</c>: "standard"/"rotary"/"none",
/// <c>act_fn</c>: "gelu_new"/"gelu"/"relu"/"silu"/"solu_ln", …). Weights beside it use TransformerLens parameter names
/// and shapes (<c>blocks.0.attn.W_Q</c> [n_heads, d_model, d_head]).
/// </summary>
public static class ModelConfigJson
{
    /// <summary>The <c>model_type</c> value that marks an Arrakis-native folder.</summary>
    public const string ModelType = "hooked_transformer";

    /// <summary>Serialises <paramref name="cfg"/> (plus <paramref name="extra"/> top-level fields, e.g. token ids).</summary>
    public static string Write(HookedTransformerConfig cfg, string storageDtype, IReadOnlyDictionary<string, JsonNode?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        var o = new JsonObject
        {
            ["model_type"] = ModelType,
            ["architectures"] = new JsonArray("HookedTransformer"),
            ["format_version"] = 1,
            ["torch_dtype"] = storageDtype,
            ["model_name"] = cfg.ModelName,
            ["n_layers"] = cfg.NLayers,
            ["d_model"] = cfg.DModel,
            ["n_heads"] = cfg.NHeads,
            ["d_head"] = cfg.DHead,
            ["n_key_value_heads"] = cfg.NKeyValueHeads,
            ["d_mlp"] = cfg.DMlp,
            ["d_vocab"] = cfg.DVocab,
            ["n_ctx"] = cfg.NCtx,
            ["act_fn"] = ActName(cfg.ActFn),
            ["normalization_type"] = NormName(cfg.Normalization),
            ["positional_embedding_type"] = PosName(cfg.PositionalEmbedding),
            ["rotary_dim"] = cfg.RotaryDim,
            ["rotary_base"] = cfg.RotaryBase,
            ["attn_only"] = cfg.AttnOnly,
            ["parallel_attn_mlp"] = cfg.ParallelAttnMlp,
            ["gated_mlp"] = cfg.GatedMlp,
            ["tied_embeddings"] = cfg.TiedEmbeddings,
            ["use_attn_scale"] = cfg.UseAttnScale,
            ["attn_scale"] = cfg.AttnScale,
            ["eps"] = cfg.Eps,
            ["embedding_scale"] = cfg.EmbeddingScale,
            ["attention_types"] = cfg.AttentionTypes is { } types ? new JsonArray(types.Select(t => (JsonNode)(t == AttentionType.Local ? "local" : "global")).ToArray()) : null,
            ["window_size"] = cfg.WindowSize,
            ["initializer_range"] = cfg.InitializerRange,
            ["seed"] = cfg.Seed,
        };
        if (extra is not null)
            foreach (var (key, value) in extra)
                o[key] = value?.DeepClone();
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Parses a native <c>config.json</c>.</summary>
    /// <exception cref="FormatException">Not JSON, not <c>hooked_transformer</c>, or a field of the wrong kind (the message names it).</exception>
    public static HookedTransformerConfig Read(string json, string source = "config.json")
    {
        JsonObject o;
        try { o = JsonNode.Parse(json) as JsonObject ?? throw new FormatException($"{source}: not a JSON object."); }
        catch (JsonException ex) { throw new FormatException($"{source}: not valid JSON ({ex.Message}).", ex); }
        string? type = o["model_type"]?.GetValueKind() == JsonValueKind.String ? (string?)o["model_type"] : null;
        if (type != ModelType)
            throw new FormatException($"{source}: model_type is '{type ?? "missing"}'; an Arrakis-native folder has '{ModelType}'.");
        try
        {
            var cfg = new HookedTransformerConfig
            {
                ModelName = Str(o, "model_name") ?? "custom",
                NLayers = Int(o, "n_layers") ?? Missing<int>("n_layers"),
                DModel = Int(o, "d_model") ?? Missing<int>("d_model"),
                NHeads = Int(o, "n_heads") ?? Missing<int>("n_heads"),
                DHead = Int(o, "d_head") ?? Missing<int>("d_head"),
                NKeyValueHeads = Int(o, "n_key_value_heads"),
                DMlp = Int(o, "d_mlp") ?? 0,
                DVocab = Int(o, "d_vocab") ?? Missing<int>("d_vocab"),
                NCtx = Int(o, "n_ctx") ?? Missing<int>("n_ctx"),
                ActFn = ParseAct(Str(o, "act_fn") ?? "gelu_new"),
                Normalization = ParseNorm(Str(o, "normalization_type")),
                PositionalEmbedding = ParsePos(Str(o, "positional_embedding_type") ?? "standard"),
                RotaryDim = Int(o, "rotary_dim"),
                RotaryBase = Dbl(o, "rotary_base") ?? 10000,
                AttnOnly = Bool(o, "attn_only") ?? false,
                ParallelAttnMlp = Bool(o, "parallel_attn_mlp") ?? false,
                GatedMlp = Bool(o, "gated_mlp") ?? false,
                TiedEmbeddings = Bool(o, "tied_embeddings") ?? false,
                UseAttnScale = Bool(o, "use_attn_scale") ?? true,
                AttnScale = Dbl(o, "attn_scale"),
                Eps = Dbl(o, "eps") ?? 1e-5,
                EmbeddingScale = Dbl(o, "embedding_scale"),
                AttentionTypes = o["attention_types"] is JsonArray a
                    ? a.Select(n => (string?)n == "local" ? AttentionType.Local : AttentionType.Global).ToArray()
                    : null,
                WindowSize = Int(o, "window_size"),
                InitializerRange = Dbl(o, "initializer_range"),
                Seed = Int(o, "seed"),
            };
            return cfg.Validate();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"{source}: {ex.Message}", ex);
        }
    }

    /// <summary>The storage dtype named in the file (<c>torch_dtype</c>), or null.</summary>
    public static string? StorageDtype(string json) => JsonNode.Parse(json)?["torch_dtype"]?.GetValue<string>();

    private static T Missing<T>(string name) => throw new FormatException($"the required field '{name}' is missing or null.");

    private static string? Str(JsonObject o, string name) => o[name] switch
    {
        null => null,
        var n when n.GetValueKind() == JsonValueKind.String => (string?)n,
        _ => throw new FormatException($"'{name}' must be a string or null."),
    };

    private static int? Int(JsonObject o, string name) => o[name] switch
    {
        null => null,
        var n when n.GetValueKind() == JsonValueKind.Number && n.AsValue().TryGetValue(out int i) => i,
        var n when n.GetValueKind() == JsonValueKind.Number && double.TryParse(n.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue => (int)d,
        _ => throw new FormatException($"'{name}' must be an integer or null."),
    };

    private static double? Dbl(JsonObject o, string name) => o[name] switch
    {
        null => null,
        var n when n.GetValueKind() == JsonValueKind.Number => double.Parse(n.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => throw new FormatException($"'{name}' must be a number or null."),
    };

    private static bool? Bool(JsonObject o, string name) => o[name] switch
    {
        null => null,
        var n when n.GetValueKind() is JsonValueKind.True or JsonValueKind.False => (bool)n,
        _ => throw new FormatException($"'{name}' must be true, false or null."),
    };

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
