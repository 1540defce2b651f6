using System.Text.Json.Nodes;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// Gemma 1 (<c>GemmaForCausalLM</c>): Llama's layout; RMSNorm weights are stored as w and scale by 1 + w (Arrakis
/// holds 1 + w); token embeddings are multiplied by √hidden_size; GeGLU with the tanh-approximated GELU (Gemma's
/// <c>hidden_act: "gelu"</c> means that approximation, as in Hugging Face and TransformerLens); embeddings tied.
/// </summary>
/// <remarks>Writing subtracts 1 again: in float32, w round-trips to within one rounding of 1 + w.</remarks>
internal sealed class GemmaFamily : LlamaLikeFamily
{
    public override string ModelType => "gemma";
    public override string Architecture => "GemmaForCausalLM";
    public override string AutoConfigName => "gemma";
    protected override bool NormWeightIsOffset => true;

    public override HfLayout ReadConfig(HfConfig c)
    {
        var cfg = ReadCommon(c, defaultEps: 1e-6, defaultTheta: 10000, defaultTied: true, defaultPositions: 8192,
            defaultAct: "gelu_pytorch_tanh", actFields: ["hidden_activation", "hidden_act"], defaultHeadDim: 256);
        if (cfg.ActFn == ActivationFunction.Gelu)
            cfg = cfg with { ActFn = ActivationFunction.GeluNew };
        return Finish(c, new HfLayout(cfg with { EmbeddingScale = Math.Sqrt(cfg.DModel) }));
    }

    public override JsonObject WriteConfig(HfLayout layout)
    {
        var json = WriteCommon(layout.Cfg);
        json["hidden_act"] = HfActivations.Name(layout.Cfg.ActFn, tanhName: "gelu_pytorch_tanh");
        json["hidden_activation"] = HfActivations.Name(layout.Cfg.ActFn, tanhName: "gelu_pytorch_tanh");
        return json;
    }
}
