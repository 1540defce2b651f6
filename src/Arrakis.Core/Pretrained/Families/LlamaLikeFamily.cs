using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// The Llama-style decoder layout shared by Llama, Mistral, Qwen2, Gemma, Phi-3 and StableLM: <c>model.embed_tokens</c>,
/// <c>model.layers.{l}.input_layernorm</c> / <c>self_attn.{q,k,v,o}_proj</c> / <c>post_attention_layernorm</c> /
/// <c>mlp.{gate,up,down}_proj</c>, <c>model.norm</c>, <c>lm_head</c>; every projection an <c>nn.Linear</c> [out, in];
/// rotary embeddings in the "rotate half" convention on the first <c>int(head_dim · partial_rotary_factor)</c> dims;
/// grouped-query attention. Families differ in the switches below and in their config fields.
/// </summary>
internal abstract partial class LlamaLikeFamily : HfFamily
{
    public override string BasePrefix => "model.";

    [GeneratedRegex(@"^(layers\.\d+\.self_attn\.rotary_emb\.inv_freq|rotary_emb\.inv_freq)$")]
    private static partial Regex BufferNames();
    protected override Regex Buffers => BufferNames();

    /// <summary>Norm weights are stored as w with the effective scale 1 + w (Gemma).</summary>
    protected virtual bool NormWeightIsOffset => false;

    /// <summary>LayerNorm with a bias instead of RMSNorm (StableLM).</summary>
    protected virtual bool LayerNorm => false;

    /// <summary>Q, K and V are one <c>qkv_proj</c> [(n_heads + 2·n_kv_heads)·d_head, d_model] (Phi-3).</summary>
    protected virtual bool FusedQkv => false;

    /// <summary>Gate and up projections are one <c>gate_up_proj</c> [2·d_mlp, d_model], gate first (Phi-3).</summary>
    protected virtual bool FusedGateUp => false;

    /// <summary>
    /// The fields every member reads the same way. Absent fields take the Hugging Face class defaults passed in.
    /// </summary>
    protected HookedTransformerConfig ReadCommon(HfConfig c, double defaultEps, double defaultTheta, bool defaultTied,
        int defaultPositions, string defaultAct = "silu", string[]? actFields = null, double defaultRotaryFraction = 1.0,
        int? defaultHeadDim = null)
    {
        int hidden = c.Int("hidden_size");
        int heads = c.Int("num_attention_heads");
        int headDim = defaultHeadDim is { } fallbackHeadDim && !c.Has("head_dim")
            ? fallbackHeadDim
            : HeadDim(c, hidden, heads, "hidden_size", "num_attention_heads");
        double fraction = c.OptDouble("partial_rotary_factor") ?? defaultRotaryFraction;
        return new HookedTransformerConfig
        {
            DVocab = c.Int("vocab_size"),
            DModel = hidden,
            NLayers = c.Int("num_hidden_layers"),
            NHeads = heads,
            NKeyValueHeads = c.OptInt("num_key_value_heads") ?? heads,
            DHead = headDim,
            DMlp = c.Int("intermediate_size"),
            NCtx = c.OptInt("max_position_embeddings") ?? defaultPositions,
            ActFn = Activation(c, defaultAct, actFields ?? ["hidden_act"]),
            Normalization = LayerNorm ? NormalizationType.LayerNorm : NormalizationType.RMSNorm,
            PositionalEmbedding = PositionalEmbeddingType.Rotary,
            RotaryDim = RotaryDims(headDim, fraction),
            RotaryBase = RopeTheta(c, defaultTheta),
            GatedMlp = true,
            Eps = c.OptDouble(LayerNorm ? "layer_norm_eps" : "rms_norm_eps") ?? defaultEps,
            TiedEmbeddings = c.OptBool("tie_word_embeddings") ?? defaultTied,
            InitializerRange = c.OptDouble("initializer_range"),
            ModelName = ModelType,
        };
    }

    /// <summary>The fields every member writes the same way.</summary>
    protected static JsonObject WriteCommon(HookedTransformerConfig cfg, bool layerNorm = false) => new()
    {
        ["vocab_size"] = cfg.DVocab,
        ["hidden_size"] = cfg.DModel,
        ["intermediate_size"] = cfg.DMlp,
        ["num_hidden_layers"] = cfg.NLayers,
        ["num_attention_heads"] = cfg.NHeads,
        ["num_key_value_heads"] = cfg.EffectiveKeyValueHeads,
        ["head_dim"] = cfg.DHead,
        ["max_position_embeddings"] = cfg.NCtx,
        ["hidden_act"] = HfActivations.Name(cfg.ActFn),
        [layerNorm ? "layer_norm_eps" : "rms_norm_eps"] = cfg.Eps,
        ["rope_theta"] = cfg.RotaryBase,
        ["rope_scaling"] = null,
        ["tie_word_embeddings"] = cfg.TiedEmbeddings,
        ["initializer_range"] = cfg.InitializerRange ?? 0.02,
    };

    public override IReadOnlyList<TensorMap> Tensors(HfLayout layout, HookedTransformer model)
    {
        var cfg = layout.Cfg;
        long d = cfg.DModel, h = cfg.NHeads, kv = cfg.EffectiveKeyValueHeads, dh = cfg.DHead, v = cfg.DVocab, f = cfg.DMlp;
        const string p = "model.";
        var maps = new List<TensorMap>
        {
            TensorMap.Embedding(p + "embed_tokens.weight", v, d, cfg.TiedEmbeddings),
        };
        for (int l = 0; l < cfg.NLayers; l++)
        {
            string n = $"{p}layers.{l}.";
            AddNorm(maps, n + "input_layernorm", d, B(l, "ln1"));

            if (FusedQkv)
            {
                maps.Add(new TensorMap(n + "self_attn.qkv_proj.weight", [(h + 2 * kv) * dh, d], [B(l, "attn.W_Q"), B(l, "attn.W_K"), B(l, "attn.W_V")],
                    hf =>
                    [
                        TensorMap.HeadsInFromLinear(hf[..(int)(h * dh)], h, dh, d),
                        TensorMap.HeadsInFromLinear(hf[(int)(h * dh)..(int)((h + kv) * dh)], kv, dh, d),
                        TensorMap.HeadsInFromLinear(hf[(int)((h + kv) * dh)..], kv, dh, d),
                    ],
                    tl => cat([TensorMap.HeadsInToLinear(tl[0], h, dh, d), TensorMap.HeadsInToLinear(tl[1], kv, dh, d), TensorMap.HeadsInToLinear(tl[2], kv, dh, d)], 0)));
                if (layout.QkvBias)
                    maps.Add(new TensorMap(n + "self_attn.qkv_proj.bias", [(h + 2 * kv) * dh], [B(l, "attn.b_Q"), B(l, "attn.b_K"), B(l, "attn.b_V")],
                        hf => [hf[..(int)(h * dh)].reshape(h, dh), hf[(int)(h * dh)..(int)((h + kv) * dh)].reshape(kv, dh), hf[(int)((h + kv) * dh)..].reshape(kv, dh)],
                        tl => cat([tl[0].reshape(-1), tl[1].reshape(-1), tl[2].reshape(-1)], 0)));
            }
            else
            {
                foreach (var (proj, heads, w, b) in new[] { ("q_proj", h, "W_Q", "b_Q"), ("k_proj", kv, "W_K", "b_K"), ("v_proj", kv, "W_V", "b_V") })
                {
                    maps.Add(TensorMap.LinearHeadsIn($"{n}self_attn.{proj}.weight", heads, dh, d, B(l, "attn." + w)));
                    if (layout.QkvBias)
                        maps.Add(TensorMap.Same($"{n}self_attn.{proj}.bias", [heads * dh], B(l, "attn." + b)));
                }
            }
            maps.Add(TensorMap.LinearHeadsOut(n + "self_attn.o_proj.weight", h, dh, d, B(l, "attn.W_O")));
            if (layout.OutBias)
                maps.Add(TensorMap.Same(n + "self_attn.o_proj.bias", [d], B(l, "attn.b_O")));

            AddNorm(maps, n + "post_attention_layernorm", d, B(l, "ln2"));
            if (FusedGateUp)
            {
                maps.Add(new TensorMap(n + "mlp.gate_up_proj.weight", [2 * f, d], [B(l, "mlp.W_gate"), B(l, "mlp.W_in")],
                    hf => [hf[..(int)f].t(), hf[(int)f..].t()],
                    tl => cat([tl[0].t(), tl[1].t()], 0)));
            }
            else
            {
                maps.Add(TensorMap.Linear(n + "mlp.gate_proj.weight", f, d, B(l, "mlp.W_gate")));
                maps.Add(TensorMap.Linear(n + "mlp.up_proj.weight", f, d, B(l, "mlp.W_in")));
            }
            maps.Add(TensorMap.Linear(n + "mlp.down_proj.weight", d, f, B(l, "mlp.W_out")));
            if (layout.MlpBias)
            {
                maps.Add(TensorMap.Same(n + "mlp.gate_proj.bias", [f], B(l, "mlp.b_gate")));
                maps.Add(TensorMap.Same(n + "mlp.up_proj.bias", [f], B(l, "mlp.b_in")));
                maps.Add(TensorMap.Same(n + "mlp.down_proj.bias", [d], B(l, "mlp.b_out")));
            }
        }
        AddNorm(maps, p + "norm", d, "ln_final");
        if (!cfg.TiedEmbeddings)
            maps.Add(TensorMap.Linear("lm_head.weight", v, d, "unembed.W_U"));
        return maps;
    }

    private void AddNorm(List<TensorMap> maps, string name, long d, string target)
    {
        maps.Add(NormalizedWeight(name + ".weight", d, target + ".w"));
        if (LayerNorm)
            maps.Add(TensorMap.Same(name + ".bias", [d], target + ".b"));
    }

    private TensorMap NormalizedWeight(string name, long d, string target) =>
        NormWeightIsOffset
            ? new TensorMap(name, [d], [target], hf => [hf + 1.0], tl => tl[0] - 1.0)
            : TensorMap.Same(name, [d], target);
}
