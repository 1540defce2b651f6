using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Arrakis.Pretrained.Families;

/// <summary>
/// GPT-Neo (<c>GPTNeoForCausalLM</c>): <c>q_proj/k_proj/v_proj</c> without biases and <c>out_proj</c> as
/// <c>nn.Linear</c> [out, in], MLP <c>c_fc/c_proj</c> also <c>nn.Linear</c>; no 1/√d_head attention scaling;
/// <c>attention_types</c> such as <c>[[["global", "local"], 6]]</c> give each layer's kind, local layers seeing the
/// last <c>window_size</c> positions.
/// </summary>
internal sealed partial class GptNeoFamily : HfFamily
{
    public override string ModelType => "gpt_neo";
    public override string Architecture => "GPTNeoForCausalLM";
    public override string AutoConfigName => "gpt-neo";
    public override string BasePrefix => "transformer.";

    [GeneratedRegex(@"^h\.\d+\.attn\.attention\.(bias|masked_bias)$")]
    private static partial Regex BufferNames();
    protected override Regex Buffers => BufferNames();

    public override HfLayout ReadConfig(HfConfig c)
    {
        int hidden = c.Int("hidden_size");
        int heads = c.Int("num_heads", "num_attention_heads");
        int layers = c.Int("num_layers", "num_hidden_layers");
        var types = ReadAttentionTypes(c, layers);
        var cfg = new HookedTransformerConfig
        {
            DVocab = c.Int("vocab_size"),
            DModel = hidden,
            NLayers = layers,
            NHeads = heads,
            DHead = hidden % heads == 0 ? hidden / heads : throw c.Error($"'hidden_size' ({hidden}) is not divisible by 'num_heads' ({heads})"),
            DMlp = c.OptInt("intermediate_size") ?? 4 * hidden,
            NCtx = c.OptInt("max_position_embeddings") ?? 2048,
            ActFn = Activation(c, "gelu_new", "activation_function"),
            Normalization = NormalizationType.LayerNorm,
            PositionalEmbedding = PositionalEmbeddingType.Learned,
            Eps = c.OptDouble("layer_norm_epsilon") ?? 1e-5,
            UseAttnScale = false,
            AttentionTypes = types,
            WindowSize = c.OptInt("window_size") ?? 256,
            TiedEmbeddings = c.OptBool("tie_word_embeddings") ?? true,
            InitializerRange = c.OptDouble("initializer_range"),
            ModelName = ModelType,
        };
        return Finish(c, new HfLayout(cfg) { OutBias = true, MlpBias = true });
    }

    /// <summary><c>attention_types</c>: a list of [pattern, repeat] pairs expanded in order (Hugging Face's default [[["global", "local"], 12]]).</summary>
    private static AttentionType[] ReadAttentionTypes(HfConfig c, int layers)
    {
        var result = new List<AttentionType>();
        if (c.Get("attention_types") is not { } groups)
        {
            for (int i = 0; i < 12; i++)
                result.AddRange([AttentionType.Global, AttentionType.Local]);
        }
        else
        {
            if (groups.ValueKind != JsonValueKind.Array)
                throw c.Error($"'attention_types' is {HfConfig.Show(groups)}; expected a list of [[kinds…], repeat] pairs");
            foreach (var group in groups.EnumerateArray())
            {
                if (group.ValueKind != JsonValueKind.Array || group.GetArrayLength() != 2
                    || group[0].ValueKind != JsonValueKind.Array || !group[1].TryGetInt32(out int repeat) || repeat < 0 || repeat > 100_000)
                    throw c.Error($"'attention_types' holds {HfConfig.Show(group)}; expected [[kinds…], repeat]");
                var kinds = group[0].EnumerateArray().Select(k => k.ValueKind == JsonValueKind.String ? k.GetString() switch
                {
                    "global" => AttentionType.Global,
                    "local" => AttentionType.Local,
                    var other => throw new NotSupportedException($"{c.Path}: attention type '{other}' is not supported; supported: global, local."),
                } : throw c.Error($"'attention_types' holds {HfConfig.Show(k)}; expected \"global\" or \"local\"")).ToList();
                for (int i = 0; i < repeat && result.Count <= layers; i++)
                    result.AddRange(kinds);
            }
        }
        if (result.Count != layers)
            throw c.Error($"'attention_types' describes {result.Count} layers but 'num_layers' is {layers}");
        return result.ToArray();
    }

    public override JsonObject WriteConfig(HfLayout layout)
    {
        var cfg = layout.Cfg;
        var kinds = Enumerable.Range(0, cfg.NLayers).Select(l => cfg.AttentionTypeOf(l) == AttentionType.Local ? "local" : "global").ToList();
        return new JsonObject
        {
            ["vocab_size"] = cfg.DVocab,
            ["hidden_size"] = cfg.DModel,
            ["num_layers"] = cfg.NLayers,
            ["num_heads"] = cfg.NHeads,
            ["intermediate_size"] = cfg.DMlp == 4 * cfg.DModel ? null : cfg.DMlp,
            ["max_position_embeddings"] = cfg.NCtx,
            ["activation_function"] = HfActivations.Name(cfg.ActFn),
            ["layer_norm_epsilon"] = cfg.Eps,
            ["window_size"] = cfg.WindowSize ?? 256,
            ["attention_types"] = CompressAttentionTypes(kinds),
            ["attention_layers"] = new JsonArray(kinds.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()),
            ["tie_word_embeddings"] = cfg.TiedEmbeddings,
            ["initializer_range"] = cfg.InitializerRange ?? 0.02,
        };
    }

    /// <summary>[["global", "local"], n] when the layers alternate from global (as every GPT-Neo does), else one entry per run.</summary>
    private static JsonArray CompressAttentionTypes(List<string> kinds)
    {
        static JsonArray Group(IEnumerable<string> pattern, int repeat) =>
            [new JsonArray(pattern.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()), repeat];
        bool alternating = kinds.Count % 2 == 0 && kinds.Select((k, i) => k == (i % 2 == 0 ? "global" : "local")).All(x => x);
        if (alternating)
            return [Group(["global", "local"], kinds.Count / 2)];
        var groups = new JsonArray();
        for (int i = 0; i < kinds.Count;)
        {
            int j = i;
            while (j < kinds.Count && kinds[j] == kinds[i])
                j++;
            groups.Add(Group([kinds[i]], j - i));
            i = j;
        }
        return groups;
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
            maps.Add(TensorMap.LinearHeadsIn(n + "attn.attention.q_proj.weight", h, dh, d, B(l, "attn.W_Q")));
            maps.Add(TensorMap.LinearHeadsIn(n + "attn.attention.k_proj.weight", h, dh, d, B(l, "attn.W_K")));
            maps.Add(TensorMap.LinearHeadsIn(n + "attn.attention.v_proj.weight", h, dh, d, B(l, "attn.W_V")));
            maps.Add(TensorMap.LinearHeadsOut(n + "attn.attention.out_proj.weight", h, dh, d, B(l, "attn.W_O")));
            maps.Add(TensorMap.Same(n + "attn.attention.out_proj.bias", [d], B(l, "attn.b_O")));
            maps.Add(TensorMap.Same(n + "ln_2.weight", [d], B(l, "ln2.w")));
            maps.Add(TensorMap.Same(n + "ln_2.bias", [d], B(l, "ln2.b")));
            maps.Add(TensorMap.Linear(n + "mlp.c_fc.weight", f, d, B(l, "mlp.W_in")));
            maps.Add(TensorMap.Same(n + "mlp.c_fc.bias", [f], B(l, "mlp.b_in")));
            maps.Add(TensorMap.Linear(n + "mlp.c_proj.weight", d, f, B(l, "mlp.W_out")));
            maps.Add(TensorMap.Same(n + "mlp.c_proj.bias", [d], B(l, "mlp.b_out")));
        }
        maps.Add(TensorMap.Same(p + "ln_f.weight", [d], "ln_final.w"));
        maps.Add(TensorMap.Same(p + "ln_f.bias", [d], "ln_final.b"));
        if (!cfg.TiedEmbeddings)
            maps.Add(TensorMap.Linear("lm_head.weight", v, d, "unembed.W_U"));
        return maps;
    }
}
