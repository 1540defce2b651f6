using System.Text.Json.Nodes;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// Llama 1/2/3 (<c>LlamaForCausalLM</c>): RMSNorm, SwiGLU, rotary, grouped-query attention; <c>attention_bias</c>
/// (q/k/v/o biases) and <c>mlp_bias</c> (gate/up/down biases) when the config switches them on.
/// </summary>
internal sealed class LlamaFamily : LlamaLikeFamily
{
    public override string ModelType => "llama";
    public override string Architecture => "LlamaForCausalLM";
    public override string AutoConfigName => "llama";

    public override HfLayout ReadConfig(HfConfig c)
    {
        var cfg = ReadCommon(c, defaultEps: 1e-6, defaultTheta: 10000, defaultTied: false, defaultPositions: 2048);
        bool attentionBias = c.OptBool("attention_bias") ?? false;
        return Finish(c, new HfLayout(cfg) { QkvBias = attentionBias, OutBias = attentionBias, MlpBias = c.OptBool("mlp_bias") ?? false });
    }

    public override JsonObject WriteConfig(HfLayout layout)
    {
        var json = WriteCommon(layout.Cfg);
        json["attention_bias"] = layout.QkvBias || layout.OutBias;
        json["mlp_bias"] = layout.MlpBias;
        return json;
    }

    protected override HfLayout Propose(HookedTransformer model, HookedTransformerConfig cfg)
    {
        bool attentionBias = AnyNonZero(model, l => new[] { "b_Q", "b_K", "b_V", "b_O" }.Select(b => B(l, "attn." + b)));
        bool mlpBias = AnyNonZero(model, l => new[] { "b_gate", "b_in", "b_out" }.Select(b => B(l, "mlp." + b)));
        return new HfLayout(cfg) { QkvBias = attentionBias, OutBias = attentionBias, MlpBias = mlpBias };
    }
}
