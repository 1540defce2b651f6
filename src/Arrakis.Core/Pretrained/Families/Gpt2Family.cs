using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// GPT-2 (<c>GPT2LMHeadModel</c>). Conv1D weights are stored [in, out], so <c>c_fc</c>/<c>c_proj</c> are TransformerLens's
/// matrices as they are; <c>c_attn</c> fuses Q, K and V along its output columns [d_model, 3·d_model] (each part split
/// head-major); the unembedding is tied to <c>wte</c> unless <c>tie_word_embeddings</c> is false.
/// </summary>
internal sealed partial class Gpt2Family : HfFamily
{
    public override string ModelType => "gpt2";
    public override string Architecture => "GPT2LMHeadModel";
    public override string AutoConfigName => "gpt2";
    public override string BasePrefix => "transformer.";

    [GeneratedRegex(@"^h\.\d+\.attn\.(bias|masked_bias)$")]
    private static partial Regex BufferNames();
    protected override Regex Buffers => BufferNames();

    public override HfLayout ReadConfig(HfConfig c)
    {
        if (c.OptBool("scale_attn_by_inverse_layer_idx") == true)
            throw new NotSupportedException($"{c.Path}: 'scale_attn_by_inverse_layer_idx' is true, which Arrakis does not implement.");
        int hidden = c.Int("n_embd", "hidden_size");
        int heads = c.Int("n_head", "num_attention_heads");
        var cfg = new HookedTransformerConfig
        {
            DVocab = c.Int("vocab_size"),
            DModel = hidden,
            NLayers = c.Int("n_layer", "num_hidden_layers"),
            NHeads = heads,
            DHead = HeadDimStrict(c, hidden, heads),
            DMlp = c.OptInt("n_inner") ?? 4 * hidden,
            NCtx = c.OptInt("n_positions", "n_ctx", "max_position_embeddings") ?? 1024,
            ActFn = Activation(c, "gelu_new", "activation_function"),
            Normalization = NormalizationType.LayerNorm,
            PositionalEmbedding = PositionalEmbeddingType.Learned,
            Eps = c.OptDouble("layer_norm_epsilon") ?? 1e-5,
            UseAttnScale = c.OptBool("scale_attn_weights") ?? true,
            TiedEmbeddings = c.OptBool("tie_word_embeddings") ?? true,
            InitializerRange = c.OptDouble("initializer_range"),
            ModelName = ModelType,
        };
        return Finish(c, new HfLayout(cfg) { QkvBias = true, OutBias = true, MlpBias = true });
    }

    private static int HeadDimStrict(HfConfig c, int hidden, int heads) =>
        heads > 0 && hidden % heads == 0 ? hidden / heads
            : throw c.Error($"'n_embd' ({hidden}) is not divisible by 'n_head' ({heads})");

    public override JsonObject WriteConfig(HfLayout layout)
    {
        var cfg = layout.Cfg;
        return new JsonObject
        {
            ["vocab_size"] = cfg.DVocab,
            ["n_embd"] = cfg.DModel,
            ["n_layer"] = cfg.NLayers,
            ["n_head"] = cfg.NHeads,
            ["n_positions"] = cfg.NCtx,
            ["n_ctx"] = cfg.NCtx,
            ["n_inner"] = cfg.DMlp == 4 * cfg.DModel ? null : cfg.DMlp,
            ["activation_function"] = HfActivations.Name(cfg.ActFn),
            ["layer_norm_epsilon"] = cfg.Eps,
            ["scale_attn_weights"] = cfg.UseAttnScale,
            ["tie_word_embeddings"] = cfg.TiedEmbeddings,
            ["initializer_range"] = cfg.InitializerRange ?? 0.02,
        };
    }

    public override IReadOnlyList<TensorMap> Tensors(HfLayout layout, HookedTransformer model)
    {
        var cfg = layout.Cfg;
        long d = cfg.DModel, h = cfg.NHeads, dh = cfg.DHead, v = cfg.DVocab, f = cfg.DMlp;
        const string p = "transformer.";
        var maps = new List<TensorMap>
        {
            TensorMap.Embedding(p + "wte.weight", v, d, cfg.TiedEmbeddings),
            TensorMap.Same(p + "wpe.weight", [cfg.NCtx, d], "pos_embed.W_pos"),
        };
        for (int l = 0; l < cfg.NLayers; l++)
        {
            string n = $"{p}h.{l}.";
            maps.Add(TensorMap.Same(n + "ln_1.weight", [d], B(l, "ln1.w")));
            maps.Add(TensorMap.Same(n + "ln_1.bias", [d], B(l, "ln1.b")));
            // c_attn output column j = part·d_model + head·d_head + i for part ∈ {q, k, v}.
            maps.Add(new TensorMap(n + "attn.c_attn.weight", [d, 3 * h * dh], [B(l, "attn.W_Q"), B(l, "attn.W_K"), B(l, "attn.W_V")],
                hf => Parts(hf.reshape(d, 3, h, dh).permute(1, 2, 0, 3)),
                tl => stack(tl).permute(2, 0, 1, 3).reshape(d, 3 * h * dh)));
            maps.Add(new TensorMap(n + "attn.c_attn.bias", [3 * h * dh], [B(l, "attn.b_Q"), B(l, "attn.b_K"), B(l, "attn.b_V")],
                hf => Parts(hf.reshape(3, h, dh)),
                tl => stack(tl).reshape(3 * h * dh)));
            maps.Add(TensorMap.Same(n + "attn.c_proj.weight", [h * dh, d], B(l, "attn.W_O")));
            maps.Add(TensorMap.Same(n + "attn.c_proj.bias", [d], B(l, "attn.b_O")));
            maps.Add(TensorMap.Same(n + "ln_2.weight", [d], B(l, "ln2.w")));
            maps.Add(TensorMap.Same(n + "ln_2.bias", [d], B(l, "ln2.b")));
            maps.Add(TensorMap.Same(n + "mlp.c_fc.weight", [d, f], B(l, "mlp.W_in")));
            maps.Add(TensorMap.Same(n + "mlp.c_fc.bias", [f], B(l, "mlp.b_in")));
            maps.Add(TensorMap.Same(n + "mlp.c_proj.weight", [f, d], B(l, "mlp.W_out")));
            maps.Add(TensorMap.Same(n + "mlp.c_proj.bias", [d], B(l, "mlp.b_out")));
        }
        maps.Add(TensorMap.Same(p + "ln_f.weight", [d], "ln_final.w"));
        maps.Add(TensorMap.Same(p + "ln_f.bias", [d], "ln_final.b"));
        if (!cfg.TiedEmbeddings)
            maps.Add(TensorMap.Linear("lm_head.weight", v, d, "unembed.W_U"));
        return maps;
    }

    /// <summary>The three slices of a [3, …] tensor.</summary>
    internal static Tensor[] Parts(Tensor fused) => [fused[0], fused[1], fused[2]];
}
