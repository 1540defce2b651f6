using System.Text.Json.Nodes;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// StableLM (<c>StableLmForCausalLM</c>): Llama's layout with LayerNorm (weight and bias), rotary on the first
/// <c>int(head_dim · partial_rotary_factor)</c> dims (default 0.25) and q/k/v biases when <c>use_qkv_bias</c>.
/// Not implemented: <c>qk_layernorm</c> and <c>use_parallel_residual</c> (one shared norm for attention and MLP).
/// </summary>
internal sealed class StableLmFamily : LlamaLikeFamily
{
    public override string ModelType => "stablelm";
    public override string Architecture => "StableLmForCausalLM";
    public override string AutoConfigName => "stable-lm";
    protected override bool LayerNorm => true;

    public override HfLayout ReadConfig(HfConfig c)
    {
        foreach (string field in new[] { "qk_layernorm", "use_parallel_residual" })
            if (c.OptBool(field) == true)
                throw new NotSupportedException($"{c.Path}: '{field}' is true, which Arrakis does not implement for stablelm.");
        var cfg = ReadCommon(c, defaultEps: 1e-5, defaultTheta: 10000, defaultTied: false, defaultPositions: 4096, defaultRotaryFraction: 0.25);
        return Finish(c, new HfLayout(cfg) { QkvBias = c.OptBool("use_qkv_bias") ?? false });
    }

    public override JsonObject WriteConfig(HfLayout layout)
    {
        var json = WriteCommon(layout.Cfg, layerNorm: true);
        json["partial_rotary_factor"] = RotaryFraction(layout.Cfg.EffectiveRotaryDim, layout.Cfg.DHead);
        json["use_qkv_bias"] = layout.QkvBias;
        json["qk_layernorm"] = false;
        json["use_parallel_residual"] = false;
        return json;
    }

    protected override HfLayout Propose(HookedTransformer model, HookedTransformerConfig cfg) =>
        new(cfg) { QkvBias = AnyNonZero(model, l => new[] { "b_Q", "b_K", "b_V" }.Select(b => B(l, "attn." + b))) };
}
