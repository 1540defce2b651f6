using System.Text.Json.Nodes;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// Mistral (<c>MistralForCausalLM</c>): Llama's layout; every layer attends to the last <c>sliding_window</c>
/// positions (Hugging Face's default 4096 when the field is absent; none when it is null, as in Mistral v0.2+).
/// </summary>
internal sealed class MistralFamily : LlamaLikeFamily
{
    public override string ModelType => "mistral";
    public override string Architecture => "MistralForCausalLM";
    public override string AutoConfigName => "mistral";

    public override HfLayout ReadConfig(HfConfig c)
    {
        var cfg = ReadCommon(c, defaultEps: 1e-6, defaultTheta: 10000, defaultTied: false, defaultPositions: 4096 * 32);
        int? window = c.Present("sliding_window") ? c.OptInt("sliding_window") : 4096;
        var (types, size) = SlidingEverywhere(cfg.NLayers, window);
        return Finish(c, new HfLayout(cfg with { AttentionTypes = types, WindowSize = size }));
    }

    public override JsonObject WriteConfig(HfLayout layout)
    {
        var json = WriteCommon(layout.Cfg);
        json["sliding_window"] = WindowIfAllLocal(layout.Cfg);
        return json;
    }
}
