using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// A Hugging Face model family: how its <c>config.json</c> fields become a <see cref="HookedTransformerConfig"/> (with
/// Hugging Face's defaults for absent fields) and how its tensors, with their real names and fused/transposed
/// conventions, map to TransformerLens parameters.
/// </summary>
internal abstract class HfFamily : CheckpointLayout
{
    /// <summary>The <see cref="HookedAutoConfig"/> name of the family.</summary>
    public abstract string AutoConfigName { get; }

    /// <summary>The untied unembedding's tensor name (ignored when the config ties it to the embedding).</summary>
    protected virtual string HeadName => "lm_head.weight";

    /// <summary>Non-persistent buffers older checkpoints carry (causal masks, rotary frequencies), without the base prefix.</summary>
    protected virtual Regex? Buffers => null;

    /// <inheritdoc />
    public override bool IsIgnorable(string name, HfLayout layout) =>
        (layout.Cfg.TiedEmbeddings && name == HeadName) || (Buffers?.IsMatch(StripPrefix(name)) ?? false);

    /// <summary>The layout to try for a model; families whose config switches biases on override this to look at the biases.</summary>
    protected virtual HfLayout Propose(HookedTransformer model, HookedTransformerConfig cfg) => new(cfg);

    /// <inheritdoc />
    public override (HfLayout Layout, JsonObject Config) Describe(HookedTransformer model)
    {
        var cfg = model.Cfg;
        if (cfg.AttnOnly)
            throw new InvalidOperationException(
                $"Cannot save this model in the {ModelType} layout, which cannot express it: attn_only: the model has True, the layout gives False. {NativeHint(cfg)}");
        bool tied = cfg.TiedEmbeddings && TiedExactly(model);
        var proposed = Propose(model, cfg with { TiedEmbeddings = tied });
        var json = WriteConfig(proposed);
        HfLayout reread;
        try
        {
            reread = ReadConfig(AsConfig(json));
        }
        catch (Exception ex) when (ex is CheckpointFormatException or NotSupportedException)
        {
            throw new InvalidOperationException($"Cannot save this model in the {ModelType} layout: {ex.Message} {NativeHint(cfg)}", ex);
        }
        var differences = ArchitectureComparison.Differences(proposed.Cfg, reread.Cfg);
        if (differences.Count > 0)
            throw new InvalidOperationException(
                $"Cannot save this model in the {ModelType} layout, which cannot express it: {string.Join("; ", differences)}. {NativeHint(cfg)}");
        CheckUncoveredAreZero(model, Tensors(reread, model));
        return (reread, json);
    }

    private static string NativeHint(HookedTransformerConfig cfg) =>
        (cfg.Normalization is NormalizationType.LayerNormPre or NormalizationType.RMSNormPre
            ? "Its weights were processed (fold_ln folded the norm weights away). "
            : "") + $"Save it in Arrakis's native layout instead (family \"{NativeLayout.Name}\").";

    private static bool TiedExactly(HookedTransformer model)
    {
        using var noGrad = no_grad();
        using var transposed = model.embed.W_E.t();
        return model.unembed.W_U.allclose(transposed, rtol: 0, atol: 0);
    }

    // ---- helpers for the families ----

    /// <summary>TransformerLens parameter name of block <paramref name="layer"/>.</summary>
    protected static string B(int layer, string rest) => $"blocks.{layer}.{rest}";

    /// <summary>Validates a configuration read from <paramref name="config"/>, reporting problems against that file.</summary>
    protected HfLayout Finish(HfConfig config, HfLayout layout)
    {
        try
        {
            layout.Cfg.Validate();
        }
        catch (ArgumentException ex)
        {
            throw config.Error($"it describes a model Arrakis cannot build: {ex.Message}");
        }
        return layout with { Cfg = layout.Cfg with { OriginalArchitecture = ModelType } };
    }

    /// <summary><c>head_dim</c>, else hidden / heads (which must divide).</summary>
    protected static int HeadDim(HfConfig config, int hidden, int heads, string hiddenField, string headsField)
    {
        if (config.OptInt("head_dim") is { } headDim)
            return headDim;
        if (heads <= 0 || hidden % heads != 0)
            throw config.Error($"'{hiddenField}' ({hidden}) is not divisible by '{headsField}' ({heads}) and 'head_dim' is not set");
        return hidden / heads;
    }

    /// <summary><c>rope_theta</c> (or <c>rope_parameters.rope_theta</c>), else <paramref name="fallback"/>; refuses rope scaling.</summary>
    protected static double RopeTheta(HfConfig config, double fallback, params string[] otherNames)
    {
        RejectRopeScaling(config, "rope_scaling");
        double? fromParameters = null;
        if (config.Get("rope_parameters") is { ValueKind: JsonValueKind.Object } parameters)
        {
            var inner = new HfConfig(parameters, config.Path);
            RejectRopeScaling(inner, "rope_parameters", nested: true);
            fromParameters = inner.OptDouble("rope_theta");
        }
        return config.OptDouble(["rope_theta", .. otherNames]) ?? fromParameters ?? fallback;
    }

    private static void RejectRopeScaling(HfConfig config, string field, bool nested = false)
    {
        var value = nested ? config.Root : config.Get(field);
        if (value is not { ValueKind: JsonValueKind.Object } scaling)
            return;
        string? type = null;
        foreach (string key in new[] { "rope_type", "type" })
            if (scaling.TryGetProperty(key, out var t) && t.ValueKind == JsonValueKind.String)
                type ??= t.GetString();
        if (type is null or "default")
            return;
        throw new NotSupportedException(
            $"{config.Path}: '{field}' asks for '{type}' rotary scaling, which Arrakis does not implement (only unscaled rotary embeddings).");
    }

    /// <summary>Hugging Face's <c>int(head_dim * fraction)</c>.</summary>
    protected static int RotaryDims(int headDim, double fraction) => (int)(headDim * fraction);

    /// <summary>A fraction f with <c>int(head_dim * f) == rotaryDim</c> (rotaryDim / head_dim, nudged up if rounding would lose a dim).</summary>
    protected static double RotaryFraction(int rotaryDim, int headDim)
    {
        double fraction = (double)rotaryDim / headDim;
        for (int i = 0; i < 16 && RotaryDims(headDim, fraction) < rotaryDim; i++)
            fraction = Math.BitIncrement(fraction);
        return fraction;
    }

    /// <summary>The activation named by the first set field of <paramref name="fields"/>, else <paramref name="fallback"/>.</summary>
    protected static ActivationFunction Activation(HfConfig config, string fallback, params string[] fields)
    {
        foreach (string field in fields)
            if (config.OptString(field) is { } name)
                return HfActivations.Parse(config, field, name);
        return HfActivations.Parse(config, fields[0], fallback);
    }

    /// <summary>Per-layer types from Hugging Face's <c>layer_types</c> (<c>full_attention</c> / <c>sliding_attention</c>), or null.</summary>
    protected static AttentionType[]? LayerTypes(HfConfig config, int layers)
    {
        if (config.Get("layer_types") is not { } value)
            return null;
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != layers)
            throw config.Error($"'layer_types' is {HfConfig.Show(value)}; expected a list of {layers} strings");
        return value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() switch
        {
            "full_attention" => AttentionType.Global,
            "sliding_attention" => AttentionType.Local,
            var other => throw new NotSupportedException($"{config.Path}: layer type '{other}' is not supported; supported: full_attention, sliding_attention."),
        } : throw config.Error($"'layer_types' holds {HfConfig.Show(v)}; expected a string")).ToArray();
    }

    /// <summary>Hugging Face's <c>layer_types</c> for a configuration.</summary>
    protected static JsonArray WriteLayerTypes(HookedTransformerConfig cfg) =>
        new(Enumerable.Range(0, cfg.NLayers)
            .Select(l => (JsonNode?)JsonValue.Create(cfg.AttentionTypeOf(l) == AttentionType.Local ? "sliding_attention" : "full_attention"))
            .ToArray());

    /// <summary>All layers local with <paramref name="window"/>, or all global when it is null.</summary>
    protected static (AttentionType[]? Types, int? Window) SlidingEverywhere(int layers, int? window) =>
        window is { } w ? (Enumerable.Repeat(AttentionType.Local, layers).ToArray(), w) : (null, null);

    /// <summary>The window to write when every layer is local, else null (a mixed pattern is caught by the architecture check).</summary>
    protected static int? WindowIfAllLocal(HookedTransformerConfig cfg) =>
        Enumerable.Range(0, cfg.NLayers).All(l => cfg.AttentionTypeOf(l) == AttentionType.Local) ? cfg.WindowSize : null;

    /// <summary>Whether any of the named parameters holds a non-zero value.</summary>
    protected static bool AnyNonZero(HookedTransformer model, Func<int, IEnumerable<string>> perLayer)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        using var noGrad = no_grad();
        return Enumerable.Range(0, model.Cfg.NLayers).SelectMany(perLayer)
            .Any(name => parameters.TryGetValue(name, out var p) && p.count_nonzero().item<long>() != 0);
    }
}
