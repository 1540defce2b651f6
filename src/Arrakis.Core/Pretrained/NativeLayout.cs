using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Arrakis.Pretrained;

/// <summary>
/// Arrakis's own layout: <c>config.json</c> with <c>"model_type": "arrakis"</c>, a format version and the whole
/// <see cref="HookedTransformerConfig"/> under <c>arrakis_config</c> (snake_case TransformerLens names); weights under
/// their TransformerLens parameter names (<c>embed.W_E</c>, <c>blocks.0.attn.W_Q</c>, …) with TransformerLens shapes.
/// It holds any model, processed weights included (e.g. after <c>fold_ln</c> the norms are LNPre and have no weights).
/// </summary>
internal sealed class NativeLayout : CheckpointLayout
{
    /// <summary>The <c>model_type</c> and family name of the native layout.</summary>
    public const string Name = "arrakis";

    /// <summary>The <c>arrakis_format</c> this version writes and reads.</summary>
    public const int FormatVersion = 1;


    public override string ModelType => Name;
    public override string Architecture => "HookedTransformer";

    public override HfLayout ReadConfig(HfConfig c)
    {
        int format = c.OptInt("arrakis_format") ?? throw c.Error("'arrakis_format' is not set; it is needed for model_type 'arrakis'");
        if (format != FormatVersion)
            throw new NotSupportedException($"{c.Path}: arrakis_format {format} is not supported; this version of Arrakis reads format {FormatVersion}.");
        if (c.Get("arrakis_config") is not { ValueKind: JsonValueKind.Object } element)
            throw c.Error("'arrakis_config' is not a JSON object");
        HookedTransformerConfig cfg;
        try
        {
            cfg = element.Deserialize(Util.NativeConfigJsonContext.Default.HookedTransformerConfig) ?? throw c.Error("'arrakis_config' is null");
            cfg.Validate();
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw c.Error($"'arrakis_config' is not a valid configuration: {ex.Message}");
        }
        return new HfLayout(cfg);
    }

    public override JsonObject WriteConfig(HfLayout layout) => new()
    {
        ["arrakis_format"] = FormatVersion,
        ["arrakis_config"] = JsonSerializer.SerializeToNode(layout.Cfg, Util.NativeConfigJsonContext.Default.HookedTransformerConfig),
    };

    public override IReadOnlyList<TensorMap> Tensors(HfLayout layout, HookedTransformer model) =>
        model.named_parameters().Select(p => TensorMap.Same(p.name, p.parameter.shape, p.name)).ToList();

    public override (HfLayout Layout, JsonObject Config) Describe(HookedTransformer model)
    {
        var layout = new HfLayout(model.Cfg);
        return (layout, WriteConfig(layout));
    }
}
