using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Pretrained;

/// <summary>
/// A hand-written checkpoint in one family's real Hugging Face layout: tensor names, stored shapes and dtypes, the
/// non-persistent buffers older checkpoints carry, and a config.json with that family's real fields (modelled on a
/// published checkpoint's, at toy sizes). <see cref="Reference"/> computes its logits with <see cref="HfReference"/>.
/// </summary>
internal sealed class HfFixture
{
    public required string ModelType { get; init; }
    public required Dictionary<string, Tensor> Tensors { get; init; }
    public required string ConfigJson { get; init; }
    public required Func<IReadOnlyDictionary<string, Tensor>, Tensor, Tensor> Forward { get; init; }
    /// <summary>Tensors that are not weights (buffers, a tied head's copy): Arrakis skips them and does not write them.</summary>
    public HashSet<string> NotWritten { get; init; } = [];
    /// <summary>The name Arrakis writes a fixture tensor under (fixtures saved from the bare base model lack the prefix).</summary>
    public Func<string, string> SavedName { get; init; } = n => n;
    /// <summary>Write shards of at most this many bytes with an index, as large checkpoints are.</summary>
    public long? ShardBytes { get; init; }

    public const int Vocab = 37;

    public void Write(string directory)
    {
        File.WriteAllText(Path.Combine(directory, "config.json"), ConfigJson);
        if (ShardBytes is { } shard)
            SafetensorsWriter.SaveSharded(directory, Tensors, shard, new Dictionary<string, string> { ["format"] = "pt" });
        else
            SafetensorsWriter.Save(Path.Combine(directory, "model.safetensors"), Tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>The Hugging Face forward on the stored values, in float64.</summary>
    public Tensor Reference(Tensor tokens)
    {
        var asDouble = Tensors.Where(kv => kv.Value.is_floating_point()).ToDictionary(kv => kv.Key, kv => kv.Value.to(float64));
        using var noGrad = no_grad();
        return Forward(asDouble, tokens);
    }
}

internal static class HfFixtures
{
    private const int Vocab = HfFixture.Vocab;

    public static readonly string[] ModelTypes = ["gpt2", "gpt_neo", "gpt_neox", "llama", "mistral", "qwen2", "gemma", "phi3", "stablelm"];

    public static HfFixture Create(string modelType) => modelType switch
    {
        "gpt2" => Gpt2(),
        "gpt_neo" => GptNeo(),
        "gpt_neox" => GptNeox(),
        "llama" => Llama(),
        "mistral" => Mistral(),
        "qwen2" => Qwen2(),
        "gemma" => Gemma(),
        "phi3" => Phi3(),
        "stablelm" => StableLm(),
        _ => throw new ArgumentException(modelType),
    };

    private sealed class Random(ulong seed)
    {
        private readonly Generator _g = new(seed);
        public Tensor W(params long[] shape) => randn(shape, generator: _g) * 0.3;
        public Tensor Bias(long n) => randn([n], generator: _g) * 0.1;
        public Tensor Norm(long n) => 1.0 + randn([n], generator: _g) * 0.1;
        public Tensor Small(long n) => randn([n], generator: _g) * 0.1;
    }

    /// <summary>openai-community/gpt2 layout: saved from GPT2Model (no "transformer." prefix), causal-mask buffers, no lm_head.</summary>
    public static HfFixture Gpt2()
    {
        const int d = 16, h = 4, layers = 2, positions = 16, mlp = 64;
        var r = new Random(11);
        var t = new Dictionary<string, Tensor> { ["wte.weight"] = r.W(Vocab, d), ["wpe.weight"] = r.W(positions, d) };
        var notWritten = new HashSet<string>();
        for (int l = 0; l < layers; l++)
        {
            string p = $"h.{l}.";
            t[p + "ln_1.weight"] = r.Norm(d);
            t[p + "ln_1.bias"] = r.Bias(d);
            t[p + "attn.bias"] = ones(positions, positions).tril().view(1, 1, positions, positions);
            t[p + "attn.masked_bias"] = tensor(-10000f);
            notWritten.UnionWith([p + "attn.bias", p + "attn.masked_bias"]);
            t[p + "attn.c_attn.weight"] = r.W(d, 3 * d);
            t[p + "attn.c_attn.bias"] = r.Bias(3 * d);
            t[p + "attn.c_proj.weight"] = r.W(d, d);
            t[p + "attn.c_proj.bias"] = r.Bias(d);
            t[p + "ln_2.weight"] = r.Norm(d);
            t[p + "ln_2.bias"] = r.Bias(d);
            t[p + "mlp.c_fc.weight"] = r.W(d, mlp);
            t[p + "mlp.c_fc.bias"] = r.Bias(mlp);
            t[p + "mlp.c_proj.weight"] = r.W(mlp, d);
            t[p + "mlp.c_proj.bias"] = r.Bias(d);
        }
        t["ln_f.weight"] = r.Norm(d);
        t["ln_f.bias"] = r.Bias(d);
        return new HfFixture
        {
            ModelType = "gpt2",
            Tensors = t,
            NotWritten = notWritten,
            SavedName = n => "transformer." + n,
            Forward = (w, tokens) => HfReference.Gpt2(w, h, 1e-5, tokens),
            ConfigJson = """
            {
              "activation_function": "gelu_new",
              "architectures": ["GPT2LMHeadModel"],
              "attn_pdrop": 0.1,
              "bos_token_id": 50256,
              "embd_pdrop": 0.1,
              "eos_token_id": 50256,
              "initializer_range": 0.02,
              "layer_norm_epsilon": 1e-05,
              "model_type": "gpt2",
              "n_ctx": 16,
              "n_embd": 16,
              "n_head": 4,
              "n_layer": 2,
              "n_positions": 16,
              "resid_pdrop": 0.1,
              "summary_activation": null,
              "summary_first_dropout": 0.1,
              "summary_proj_to_labels": true,
              "summary_type": "cls_index",
              "summary_use_proj": true,
              "task_specific_params": { "text-generation": { "do_sample": true, "max_length": 50 } },
              "vocab_size": 37
            }
            """,
        };
    }

    /// <summary>EleutherAI/gpt-neo-125m layout: "transformer." prefix, bool causal-mask and scalar masked_bias buffers, a tied lm_head copy.</summary>
    public static HfFixture GptNeo()
    {
        const int d = 16, h = 4, positions = 16, mlp = 64, window = 4;
        string[] kinds = ["global", "local"];
        var r = new Random(12);
        const string p0 = "transformer.";
        var t = new Dictionary<string, Tensor> { [p0 + "wte.weight"] = r.W(Vocab, d), [p0 + "wpe.weight"] = r.W(positions, d) };
        var notWritten = new HashSet<string> { "lm_head.weight" };
        for (int l = 0; l < kinds.Length; l++)
        {
            string p = $"{p0}h.{l}.";
            t[p + "ln_1.weight"] = r.Norm(d);
            t[p + "ln_1.bias"] = r.Bias(d);
            t[p + "attn.attention.bias"] = ones(positions, positions).tril().to(ScalarType.Bool).view(1, 1, positions, positions);
            t[p + "attn.attention.masked_bias"] = tensor(-1e9f);
            notWritten.UnionWith([p + "attn.attention.bias", p + "attn.attention.masked_bias"]);
            t[p + "attn.attention.q_proj.weight"] = r.W(d, d);
            t[p + "attn.attention.k_proj.weight"] = r.W(d, d);
            t[p + "attn.attention.v_proj.weight"] = r.W(d, d);
            t[p + "attn.attention.out_proj.weight"] = r.W(d, d);
            t[p + "attn.attention.out_proj.bias"] = r.Bias(d);
            t[p + "ln_2.weight"] = r.Norm(d);
            t[p + "ln_2.bias"] = r.Bias(d);
            t[p + "mlp.c_fc.weight"] = r.W(mlp, d);
            t[p + "mlp.c_fc.bias"] = r.Bias(mlp);
            t[p + "mlp.c_proj.weight"] = r.W(d, mlp);
            t[p + "mlp.c_proj.bias"] = r.Bias(d);
        }
        t[p0 + "ln_f.weight"] = r.Norm(d);
        t[p0 + "ln_f.bias"] = r.Bias(d);
        t["lm_head.weight"] = t[p0 + "wte.weight"].clone();
        return new HfFixture
        {
            ModelType = "gpt_neo",
            Tensors = t,
            NotWritten = notWritten,
            Forward = (w, tokens) => HfReference.GptNeo(w, h, 1e-5, kinds, window, tokens),
            ConfigJson = """
            {
              "activation_function": "gelu_new",
              "architectures": ["GPTNeoForCausalLM"],
              "attention_dropout": 0,
              "attention_layers": ["global", "local"],
              "attention_types": [[["global", "local"], 1]],
              "bos_token_id": 50256,
              "embed_dropout": 0,
              "eos_token_id": 50256,
              "gradient_checkpointing": false,
              "hidden_size": 16,
              "initializer_range": 0.02,
              "intermediate_size": null,
              "layer_norm_epsilon": 1e-05,
              "max_position_embeddings": 16,
              "model_type": "gpt_neo",
              "num_heads": 4,
              "num_layers": 2,
              "resid_dropout": 0,
              "summary_activation": null,
              "summary_first_dropout": 0.1,
              "summary_proj_to_labels": true,
              "summary_type": "cls_index",
              "summary_use_proj": true,
              "transformers_version": "4.9.0.dev0",
              "use_cache": true,
              "vocab_size": 37,
              "window_size": 4
            }
            """,
        };
    }

    /// <summary>EleutherAI/pythia-70m layout: float16, interleaved query_key_value, rotary_pct, parallel residual, untied embed_out, old buffers.</summary>
    public static HfFixture GptNeox()
    {
        const int d = 32, h = 4, layers = 2, mlp = 128, positions = 16;
        var r = new Random(13);
        const string p0 = "gpt_neox.";
        var t = new Dictionary<string, Tensor> { [p0 + "embed_in.weight"] = r.W(Vocab, d) };
        var notWritten = new HashSet<string>();
        for (int l = 0; l < layers; l++)
        {
            string p = $"{p0}layers.{l}.";
            t[p + "input_layernorm.weight"] = r.Norm(d);
            t[p + "input_layernorm.bias"] = r.Bias(d);
            t[p + "post_attention_layernorm.weight"] = r.Norm(d);
            t[p + "post_attention_layernorm.bias"] = r.Bias(d);
            t[p + "attention.bias"] = ones(positions, positions).tril().to(ScalarType.Bool).view(1, 1, positions, positions);
            t[p + "attention.masked_bias"] = tensor(-1e9f);
            t[p + "attention.rotary_emb.inv_freq"] = tensor(new[] { 1f });
            notWritten.UnionWith([p + "attention.bias", p + "attention.masked_bias", p + "attention.rotary_emb.inv_freq"]);
            t[p + "attention.query_key_value.weight"] = r.W(3 * d, d);
            t[p + "attention.query_key_value.bias"] = r.Bias(3 * d);
            t[p + "attention.dense.weight"] = r.W(d, d);
            t[p + "attention.dense.bias"] = r.Bias(d);
            t[p + "mlp.dense_h_to_4h.weight"] = r.W(mlp, d);
            t[p + "mlp.dense_h_to_4h.bias"] = r.Bias(mlp);
            t[p + "mlp.dense_4h_to_h.weight"] = r.W(d, mlp);
            t[p + "mlp.dense_4h_to_h.bias"] = r.Bias(d);
        }
        t[p0 + "final_layer_norm.weight"] = r.Norm(d);
        t[p0 + "final_layer_norm.bias"] = r.Bias(d);
        t["embed_out.weight"] = r.W(Vocab, d);
        foreach (var key in t.Keys.ToList())
            if (t[key].dtype == ScalarType.Float32 && !key.EndsWith("inv_freq") && !key.EndsWith("masked_bias"))
                t[key] = t[key].to(ScalarType.Float16);
        return new HfFixture
        {
            ModelType = "gpt_neox",
            Tensors = t,
            NotWritten = notWritten,
            Forward = (w, tokens) => HfReference.GptNeox(w, h, 0.25, 10000, 1e-5, tokens),
            ConfigJson = """
            {
              "architectures": ["GPTNeoXForCausalLM"],
              "bos_token_id": 0,
              "classifier_dropout": 0.1,
              "eos_token_id": 0,
              "hidden_act": "gelu",
              "hidden_size": 32,
              "initializer_range": 0.02,
              "intermediate_size": 128,
              "layer_norm_eps": 1e-05,
              "max_position_embeddings": 2048,
              "model_type": "gpt_neox",
              "num_attention_heads": 4,
              "num_hidden_layers": 2,
              "rotary_emb_base": 10000,
              "rotary_pct": 0.25,
              "tie_word_embeddings": false,
              "torch_dtype": "float16",
              "transformers_version": "4.24.0",
              "use_cache": true,
              "use_parallel_residual": true,
              "vocab_size": 37
            }
            """,
        };
    }

    /// <summary>The Llama-style tensors (q/k/v/o, gate/up/down, RMS or LN norms), optionally fused as Phi-3 does.</summary>
    private static (Dictionary<string, Tensor> Tensors, HashSet<string> NotWritten) LlamaTensors(
        Random r, int d, int h, int kv, int dh, int mlp, int layers, bool tied, bool qkvBias = false,
        bool layerNorm = false, bool gemmaNorm = false, bool fused = false, bool rotaryBuffers = false)
    {
        Tensor Norm() => gemmaNorm ? r.Small(d) : r.Norm(d);
        var t = new Dictionary<string, Tensor> { ["model.embed_tokens.weight"] = r.W(Vocab, d) };
        var notWritten = new HashSet<string>();
        for (int l = 0; l < layers; l++)
        {
            string p = $"model.layers.{l}.";
            t[p + "input_layernorm.weight"] = Norm();
            t[p + "post_attention_layernorm.weight"] = Norm();
            if (layerNorm)
            {
                t[p + "input_layernorm.bias"] = r.Bias(d);
                t[p + "post_attention_layernorm.bias"] = r.Bias(d);
            }
            if (fused)
            {
                t[p + "self_attn.qkv_proj.weight"] = r.W((h + 2 * kv) * dh, d);
                t[p + "mlp.gate_up_proj.weight"] = r.W(2 * mlp, d);
            }
            else
            {
                t[p + "self_attn.q_proj.weight"] = r.W(h * dh, d);
                t[p + "self_attn.k_proj.weight"] = r.W(kv * dh, d);
                t[p + "self_attn.v_proj.weight"] = r.W(kv * dh, d);
                t[p + "mlp.gate_proj.weight"] = r.W(mlp, d);
                t[p + "mlp.up_proj.weight"] = r.W(mlp, d);
            }
            if (qkvBias)
            {
                t[p + "self_attn.q_proj.bias"] = r.Bias(h * dh);
                t[p + "self_attn.k_proj.bias"] = r.Bias(kv * dh);
                t[p + "self_attn.v_proj.bias"] = r.Bias(kv * dh);
            }
            t[p + "self_attn.o_proj.weight"] = r.W(d, h * dh);
            t[p + "mlp.down_proj.weight"] = r.W(d, mlp);
            if (rotaryBuffers)
            {
                t[p + "self_attn.rotary_emb.inv_freq"] = tensor(new[] { 1f, 0.01f });
                notWritten.Add(p + "self_attn.rotary_emb.inv_freq");
            }
        }
        t["model.norm.weight"] = Norm();
        if (layerNorm)
            t["model.norm.bias"] = r.Bias(d);
        if (!tied)
            t["lm_head.weight"] = r.W(Vocab, d);
        return (t, notWritten);
    }

    private static Dictionary<string, Tensor> ToBFloat16(Dictionary<string, Tensor> t) =>
        t.ToDictionary(kv => kv.Key, kv => kv.Key.EndsWith("inv_freq") ? kv.Value : kv.Value.to(ScalarType.BFloat16));

    /// <summary>Meta-Llama-3-8B layout: bfloat16, GQA, rope_theta 500000, sharded with an index, old rotary buffers.</summary>
    public static HfFixture Llama()
    {
        var (t, notWritten) = LlamaTensors(new Random(14), d: 16, h: 4, kv: 2, dh: 4, mlp: 24, layers: 2, tied: false, rotaryBuffers: true);
        return new HfFixture
        {
            ModelType = "llama",
            Tensors = ToBFloat16(t),
            NotWritten = notWritten,
            ShardBytes = 2048,
            Forward = (w, tokens) => HfReference.LlamaLike(w, new HfReference.Llama { Heads = 4, KvHeads = 2, HeadDim = 4, RotaryDims = 4, Theta = 500000, Eps = 1e-5 }, tokens),
            ConfigJson = """
            {
              "architectures": ["LlamaForCausalLM"],
              "attention_bias": false,
              "attention_dropout": 0.0,
              "bos_token_id": 128000,
              "eos_token_id": 128001,
              "hidden_act": "silu",
              "hidden_size": 16,
              "initializer_range": 0.02,
              "intermediate_size": 24,
              "max_position_embeddings": 8192,
              "model_type": "llama",
              "num_attention_heads": 4,
              "num_hidden_layers": 2,
              "num_key_value_heads": 2,
              "pretraining_tp": 1,
              "rms_norm_eps": 1e-05,
              "rope_scaling": null,
              "rope_theta": 500000.0,
              "tie_word_embeddings": false,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.40.0.dev0",
              "use_cache": true,
              "vocab_size": 37
            }
            """,
        };
    }

    /// <summary>mistralai/Mistral-7B-v0.1 layout with a 4-position sliding window.</summary>
    public static HfFixture Mistral()
    {
        var (t, notWritten) = LlamaTensors(new Random(15), d: 16, h: 4, kv: 2, dh: 4, mlp: 24, layers: 2, tied: false);
        return new HfFixture
        {
            ModelType = "mistral",
            Tensors = t,
            NotWritten = notWritten,
            Forward = (w, tokens) => HfReference.LlamaLike(w, new HfReference.Llama { Heads = 4, KvHeads = 2, HeadDim = 4, RotaryDims = 4, Theta = 10000, Eps = 1e-5, Window = 4 }, tokens),
            ConfigJson = """
            {
              "architectures": ["MistralForCausalLM"],
              "bos_token_id": 1,
              "eos_token_id": 2,
              "hidden_act": "silu",
              "hidden_size": 16,
              "initializer_range": 0.02,
              "intermediate_size": 24,
              "max_position_embeddings": 32768,
              "model_type": "mistral",
              "num_attention_heads": 4,
              "num_hidden_layers": 2,
              "num_key_value_heads": 2,
              "rms_norm_eps": 1e-05,
              "rope_theta": 10000.0,
              "sliding_window": 4,
              "tie_word_embeddings": false,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.34.0.dev0",
              "use_cache": true,
              "vocab_size": 37
            }
            """,
        };
    }

    /// <summary>Qwen/Qwen2-0.5B layout: q/k/v biases, tied embeddings, a sliding_window that use_sliding_window leaves off.</summary>
    public static HfFixture Qwen2()
    {
        var (t, notWritten) = LlamaTensors(new Random(16), d: 16, h: 4, kv: 2, dh: 4, mlp: 24, layers: 2, tied: true, qkvBias: true);
        return new HfFixture
        {
            ModelType = "qwen2",
            Tensors = t,
            NotWritten = notWritten,
            Forward = (w, tokens) => HfReference.LlamaLike(w, new HfReference.Llama { Heads = 4, KvHeads = 2, HeadDim = 4, RotaryDims = 4, Theta = 1000000, Eps = 1e-6 }, tokens),
            ConfigJson = """
            {
              "architectures": ["Qwen2ForCausalLM"],
              "attention_dropout": 0.0,
              "bos_token_id": 151643,
              "eos_token_id": 151643,
              "hidden_act": "silu",
              "hidden_size": 16,
              "initializer_range": 0.02,
              "intermediate_size": 24,
              "max_position_embeddings": 131072,
              "max_window_layers": 24,
              "model_type": "qwen2",
              "num_attention_heads": 4,
              "num_hidden_layers": 2,
              "num_key_value_heads": 2,
              "rms_norm_eps": 1e-06,
              "rope_theta": 1000000.0,
              "sliding_window": 131072,
              "tie_word_embeddings": true,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.40.1",
              "use_cache": true,
              "use_sliding_window": false,
              "vocab_size": 37
            }
            """,
        };
    }

    /// <summary>google/gemma-2b layout: bfloat16, norm weights stored as w (scale 1 + w), head_dim ≠ hidden/heads, multi-query, tied.</summary>
    public static HfFixture Gemma()
    {
        var (t, notWritten) = LlamaTensors(new Random(17), d: 16, h: 4, kv: 1, dh: 6, mlp: 24, layers: 2, tied: true, gemmaNorm: true);
        return new HfFixture
        {
            ModelType = "gemma",
            Tensors = ToBFloat16(t),
            NotWritten = notWritten,
            Forward = (w, tokens) => HfReference.LlamaLike(w, new HfReference.Llama
            {
                Heads = 4, KvHeads = 1, HeadDim = 6, RotaryDims = 6, Theta = 10000, Eps = 1e-6, GemmaNorm = true, GeluTanh = true, EmbeddingScale = Math.Sqrt(16),
            }, tokens),
            ConfigJson = """
            {
              "architectures": ["GemmaForCausalLM"],
              "attention_bias": false,
              "attention_dropout": 0.0,
              "bos_token_id": 2,
              "eos_token_id": 1,
              "head_dim": 6,
              "hidden_act": "gelu",
              "hidden_activation": "gelu_pytorch_tanh",
              "hidden_size": 16,
              "initializer_range": 0.02,
              "intermediate_size": 24,
              "max_position_embeddings": 8192,
              "model_type": "gemma",
              "num_attention_heads": 4,
              "num_hidden_layers": 2,
              "num_key_value_heads": 1,
              "pad_token_id": 0,
              "rms_norm_eps": 1e-06,
              "rope_scaling": null,
              "rope_theta": 10000.0,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.38.0.dev0",
              "use_cache": true,
              "vocab_size": 37
            }
            """,
        };
    }

    /// <summary>microsoft/Phi-3-mini-4k-instruct layout: fused qkv_proj and gate_up_proj, sliding window; GQA as Phi-3-medium.</summary>
    public static HfFixture Phi3()
    {
        var (t, notWritten) = LlamaTensors(new Random(18), d: 16, h: 4, kv: 2, dh: 4, mlp: 24, layers: 2, tied: false, fused: true);
        return new HfFixture
        {
            ModelType = "phi3",
            Tensors = t,
            NotWritten = notWritten,
            Forward = (w, tokens) => HfReference.LlamaLike(w, new HfReference.Llama
            {
                Heads = 4, KvHeads = 2, HeadDim = 4, RotaryDims = 4, Theta = 10000, Eps = 1e-5, Window = 5, FusedQkv = true, FusedGateUp = true,
            }, tokens),
            ConfigJson = """
            {
              "_name_or_path": "Phi-3-mini-4k-instruct",
              "architectures": ["Phi3ForCausalLM"],
              "attention_dropout": 0.0,
              "auto_map": { "AutoConfig": "configuration_phi3.Phi3Config", "AutoModelForCausalLM": "modeling_phi3.Phi3ForCausalLM" },
              "bos_token_id": 1,
              "embd_pdrop": 0.0,
              "eos_token_id": 32000,
              "hidden_act": "silu",
              "hidden_size": 16,
              "initializer_range": 0.02,
              "intermediate_size": 24,
              "max_position_embeddings": 4096,
              "model_type": "phi3",
              "num_attention_heads": 4,
              "num_hidden_layers": 2,
              "num_key_value_heads": 2,
              "original_max_position_embeddings": 4096,
              "pad_token_id": 32000,
              "resid_pdrop": 0.0,
              "rms_norm_eps": 1e-05,
              "rope_scaling": null,
              "rope_theta": 10000.0,
              "sliding_window": 5,
              "tie_word_embeddings": false,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.40.2",
              "use_cache": true,
              "vocab_size": 37
            }
            """,
        };
    }

    /// <summary>stabilityai/stablelm-2-1_6b layout: LayerNorm with biases, partial rotary 0.25, q/k/v biases.</summary>
    public static HfFixture StableLm()
    {
        var (t, notWritten) = LlamaTensors(new Random(19), d: 32, h: 4, kv: 4, dh: 8, mlp: 48, layers: 2, tied: false, qkvBias: true, layerNorm: true);
        return new HfFixture
        {
            ModelType = "stablelm",
            Tensors = t,
            NotWritten = notWritten,
            Forward = (w, tokens) => HfReference.LlamaLike(w, new HfReference.Llama
            {
                Heads = 4, KvHeads = 4, HeadDim = 8, RotaryDims = 2, Theta = 10000, Eps = 1e-5, LayerNorm = true,
            }, tokens),
            ConfigJson = """
            {
              "architectures": ["StableLmForCausalLM"],
              "bos_token_id": 100257,
              "eos_token_id": 100257,
              "hidden_act": "silu",
              "hidden_dropout": 0.0,
              "hidden_size": 32,
              "initializer_range": 0.02,
              "intermediate_size": 48,
              "layer_norm_eps": 1e-05,
              "max_position_embeddings": 4096,
              "model_type": "stablelm",
              "num_attention_heads": 4,
              "num_hidden_layers": 2,
              "num_key_value_heads": 4,
              "partial_rotary_factor": 0.25,
              "qk_layernorm": false,
              "rope_theta": 10000,
              "tie_word_embeddings": false,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.38.0",
              "use_cache": true,
              "use_parallel_residual": false,
              "use_qkv_bias": true,
              "vocab_size": 37
            }
            """,
        };
    }
}
