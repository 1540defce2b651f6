using System.Text.Json.Nodes;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// Qwen2 (<c>Qwen2ForCausalLM</c>): Llama's layout with q/k/v biases (no o_proj bias). A sliding window applies only
/// when <c>use_sliding_window</c> is true, to layers from <c>max_window_layers</c> on (or as <c>layer_types</c> says).
/// </summary>
internal sealed class Qwen2Family : LlamaLikeFamily
{
    public override string ModelType => "qwen2";
    public override string Architecture => "Qwen2ForCausalLM";
    public override string AutoConfigName => "qwen2";

    public override HfLayout ReadConfig(HfConfig c)
    {
        var cfg = ReadCommon(c, defaultEps: 1e-6, defaultTheta: 10000, defaultTied: false, defaultPositions: 32768);
        int? window = c.OptBool("use_sliding_window") == true ? c.OptInt("sliding_window") ?? 4096 : null;
        int maxWindowLayers = c.OptInt("max_window_layers") ?? 28;
        AttentionType[]? types = LayerTypes(c, cfg.NLayers)
                    ?? Enumerable.Range(0, cfg.NLayers).Select(l => l >= maxWindowLayers ? AttentionType.Local : AttentionType.Global).ToArray();
        if (window is null || !types.Contains(AttentionType.Local))
            (types, window) = (null, null);
        return Finish(c, new HfLayout(cfg with { AttentionTypes = types, WindowSize = window }) { QkvBias = true });
    }

    public override JsonObject WriteConfig(HfLayout layout)
    {
        var cfg = layout.Cfg;
        var json = WriteCommon(cfg);
        int firstLocal = Enumerable.Range(0, cfg.NLayers).FirstOrDefault(l => cfg.AttentionTypeOf(l) == AttentionType.Local, cfg.NLayers);
        bool sliding = firstLocal < cfg.NLayers;
        json["use_sliding_window"] = sliding;
        json["sliding_window"] = sliding ? cfg.WindowSize : null;
        json["max_window_layers"] = firstLocal;
        json["layer_types"] = WriteLayerTypes(cfg);
        return json;
    }

    protected override HfLayout Propose(HookedTransformer model, HookedTransformerConfig cfg) => new(cfg) { QkvBias = true };
}
