using System.Text.Json.Nodes;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// Phi-3 (<c>Phi3ForCausalLM</c>): Llama's layout with Q, K, V fused into <c>qkv_proj</c> (q rows, then k, then v)
/// and gate and up fused into <c>gate_up_proj</c> (gate rows first); a <c>sliding_window</c>, when set, applies to
/// every layer.
/// </summary>
internal sealed class Phi3Family : LlamaLikeFamily
{
    public override string ModelType => "phi3";
    public override string Architecture => "Phi3ForCausalLM";
    public override string AutoConfigName => "phi3";
    protected override bool FusedQkv => true;
    protected override bool FusedGateUp => true;

    public override HfLayout ReadConfig(HfConfig c)
    {
        var cfg = ReadCommon(c, defaultEps: 1e-5, defaultTheta: 10000, defaultTied: false, defaultPositions: 4096);
        var (types, window) = SlidingEverywhere(cfg.NLayers, c.OptInt("sliding_window"));
        return Finish(c, new HfLayout(cfg with { AttentionTypes = types, WindowSize = window }));
    }

    public override JsonObject WriteConfig(HfLayout layout)
    {
        var json = WriteCommon(layout.Cfg);
        json["sliding_window"] = WindowIfAllLocal(layout.Cfg);
        json["partial_rotary_factor"] = RotaryFraction(layout.Cfg.EffectiveRotaryDim, layout.Cfg.DHead);
        return json;
    }
}
