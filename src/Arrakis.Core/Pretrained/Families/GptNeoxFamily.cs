using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// GPT-NeoX / Pythia (<c>GPTNeoXForCausalLM</c>): <c>query_key_value</c> is one <c>nn.Linear</c> whose output rows are
/// interleaved per head (head h holds rows h·3·d_head … as [q | k | v]); rotary on the first
/// <c>int(d_head · rotary_pct)</c> dims; parallel attention and MLP (<c>use_parallel_residual</c>); an untied
/// <c>embed_out</c>.
/// </summary>
internal sealed partial class GptNeoxFamily : HfFamily
{
    public override string ModelType => "gpt_neox";
    public override string Architecture => "GPTNeoXForCausalLM";
    public override string AutoConfigName => "gpt-neox";
    public override string BasePrefix => "gpt_neox.";
    protected override string HeadName => "embed_out.weight";

    [GeneratedRegex(@"^(layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)|rotary_emb\.inv_freq)$")]
    private static partial Regex BufferNames();
    protected override Regex Buffers => BufferNames();

    public override HfLayout ReadConfig(HfConfig c)
    {
        int hidden = c.Int("hidden_size");
        int heads = c.Int("num_attention_heads");
        if (heads <= 0 || hidden % heads != 0)
            throw c.Error($"'hidden_size' ({hidden}) is not divisible by 'num_attention_heads' ({heads})");
        int headDim = hidden / heads;
        double fraction = c.OptDouble("partial_rotary_factor", "rotary_pct") ?? 0.25;
        bool bias = c.OptBool("attention_bias") ?? true;
        var cfg = new HookedTransformerConfig
        {
            DVocab = c.Int("vocab_size"),
            DModel = hidden,
            NLayers = c.Int("num_hidden_layers"),
            NHeads = heads,
            DHead = headDim,
            DMlp = c.Int("intermediate_size"),
            NCtx = c.OptInt("max_position_embeddings") ?? 2048,
            ActFn = Activation(c, "gelu", "hidden_act"),
            Normalization = NormalizationType.LayerNorm,
            PositionalEmbedding = PositionalEmbeddingType.Rotary,
            RotaryDim = RotaryDims(headDim, fraction),
            RotaryBase = RopeTheta(c, 10000, "rotary_emb_base"),
            ParallelAttnMlp = c.OptBool("use_parallel_residual") ?? true,
            Eps = c.OptDouble("layer_norm_eps") ?? 1e-5,
            TiedEmbeddings = c.OptBool("tie_word_embeddings") ?? false,
            InitializerRange = c.OptDouble("initializer_range"),
            ModelName = ModelType,
        };
        return Finish(c, new HfLayout(cfg) { QkvBias = bias, OutBias = bias, MlpBias = true });
    }

    public override JsonObject WriteConfig(HfLayout layout)
    {
        var cfg = layout.Cfg;
        return new JsonObject
        {
            ["vocab_size"] = cfg.DVocab,
            ["hidden_size"] = cfg.DModel,
            ["num_hidden_layers"] = cfg.NLayers,
            ["num_attention_heads"] = cfg.NHeads,
            ["intermediate_size"] = cfg.DMlp,
            ["max_position_embeddings"] = cfg.NCtx,
            ["hidden_act"] = HfActivations.Name(cfg.ActFn),
            ["rotary_pct"] = RotaryFraction(cfg.EffectiveRotaryDim, cfg.DHead),
            ["rotary_emb_base"] = cfg.RotaryBase,
            ["rope_theta"] = cfg.RotaryBase,
            ["rope_scaling"] = null,
            ["use_parallel_residual"] = cfg.ParallelAttnMlp,
            ["layer_norm_eps"] = cfg.Eps,
            ["attention_bias"] = layout.QkvBias,
            ["tie_word_embeddings"] = cfg.TiedEmbeddings,
            ["initializer_range"] = cfg.InitializerRange ?? 0.02,
        };
    }

    protected override HfLayout Propose(HookedTransformer model, HookedTransformerConfig cfg) =>
        new(cfg) { QkvBias = true, OutBias = true, MlpBias = true };

    public override IReadOnlyList<TensorMap> Tensors(HfLayout layout, HookedTransformer model)
    {
        var cfg = layout.Cfg;
        long d = cfg.DModel, h = cfg.NHeads, dh = cfg.DHead, v = cfg.DVocab, f = cfg.DMlp;
        const string p = "gpt_neox.";
        var maps = new List<TensorMap>
        {
            TensorMap.Embedding(p + "embed_in.weight", v, d, cfg.TiedEmbeddings),
        };
        for (int l = 0; l < cfg.NLayers; l++)
        {
            string n = $"{p}layers.{l}.";
            maps.Add(TensorMap.Same(n + "input_layernorm.weight", [d], B(l, "ln1.w")));
            maps.Add(TensorMap.Same(n + "input_layernorm.bias", [d], B(l, "ln1.b")));
            // Row r = head·3·d_head + part·d_head + i, part ∈ {q, k, v}.
            maps.Add(new TensorMap(n + "attention.query_key_value.weight", [3 * h * dh, d], [B(l, "attn.W_Q"), B(l, "attn.W_K"), B(l, "attn.W_V")],
                hf => Gpt2Family.Parts(hf.reshape(h, 3, dh, d).permute(1, 0, 3, 2)),
                tl => stack(tl).permute(1, 0, 3, 2).reshape(3 * h * dh, d)));
            if (layout.QkvBias)
                maps.Add(new TensorMap(n + "attention.query_key_value.bias", [3 * h * dh], [B(l, "attn.b_Q"), B(l, "attn.b_K"), B(l, "attn.b_V")],
                    hf => Gpt2Family.Parts(hf.reshape(h, 3, dh).permute(1, 0, 2)),
                    tl => stack(tl).permute(1, 0, 2).reshape(3 * h * dh)));
            maps.Add(TensorMap.LinearHeadsOut(n + "attention.dense.weight", h, dh, d, B(l, "attn.W_O")));
            if (layout.OutBias)
                maps.Add(TensorMap.Same(n + "attention.dense.bias", [d], B(l, "attn.b_O")));
            maps.Add(TensorMap.Same(n + "post_attention_layernorm.weight", [d], B(l, "ln2.w")));
            maps.Add(TensorMap.Same(n + "post_attention_layernorm.bias", [d], B(l, "ln2.b")));
            maps.Add(TensorMap.Linear(n + "mlp.dense_h_to_4h.weight", f, d, B(l, "mlp.W_in")));
            maps.Add(TensorMap.Same(n + "mlp.dense_h_to_4h.bias", [f], B(l, "mlp.b_in")));
            maps.Add(TensorMap.Linear(n + "mlp.dense_4h_to_h.weight", d, f, B(l, "mlp.W_out")));
            maps.Add(TensorMap.Same(n + "mlp.dense_4h_to_h.bias", [d], B(l, "mlp.b_out")));
        }
        maps.Add(TensorMap.Same(p + "final_layer_norm.weight", [d], "ln_final.w"));
        maps.Add(TensorMap.Same(p + "final_layer_norm.bias", [d], "ln_final.b"));
        if (!cfg.TiedEmbeddings)
            maps.Add(TensorMap.Linear("embed_out.weight", v, d, "unembed.W_U"));
        return maps;
    }
}
