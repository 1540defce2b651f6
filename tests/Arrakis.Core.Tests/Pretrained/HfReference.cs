using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Pretrained;

/// <summary>
/// Forward passes written the way Hugging Face's modeling code computes them, reading checkpoint tensors by their
/// real names and in their stored layouts (Conv1D [in, out], nn.Linear [out, in], fused and interleaved projections).
/// Independent of Arrakis's mapping code: the check that a family's mapping reproduces the source model's logits.
/// Everything runs in float64.
/// </summary>
internal static class HfReference
{
    public sealed record Llama
    {
        public int Heads { get; init; }
        public int KvHeads { get; init; }
        public int HeadDim { get; init; }
        public int RotaryDims { get; init; }
        public double Theta { get; init; }
        public double Eps { get; init; }
        public int? Window { get; init; }
        public bool GemmaNorm { get; init; }
        public bool LayerNorm { get; init; }
        public bool FusedQkv { get; init; }
        public bool FusedGateUp { get; init; }
        public bool GeluTanh { get; init; }
        public double EmbeddingScale { get; init; } = 1;
    }

    /// <summary>GPT2LMHeadModel: Conv1D (x·W + b), c_attn = [q | k | v] columns, gelu_new, tied wte.</summary>
    public static Tensor Gpt2(IReadOnlyDictionary<string, Tensor> t, int heads, double eps, Tensor tokens)
    {
        Tensor w(string name) => t[name];
        long pos = tokens.shape[1];
        var wte = w("wte.weight");
        long d = wte.shape[1];
        var x = wte[tokens] + w("wpe.weight")[..(int)pos];
        for (int l = 0; t.ContainsKey($"h.{l}.ln_1.weight"); l++)
        {
            var h = LayerNorm(x, w($"h.{l}.ln_1.weight"), w($"h.{l}.ln_1.bias"), eps);
            var qkv = h.matmul(w($"h.{l}.attn.c_attn.weight")) + w($"h.{l}.attn.c_attn.bias");
            var parts = qkv.split(d, -1);
            var a = Attend(Heads(parts[0], heads), Heads(parts[1], heads), Heads(parts[2], heads), Math.Sqrt(d / heads), null);
            x = x + a.matmul(w($"h.{l}.attn.c_proj.weight")) + w($"h.{l}.attn.c_proj.bias");
            h = LayerNorm(x, w($"h.{l}.ln_2.weight"), w($"h.{l}.ln_2.bias"), eps);
            var m = GeluNew(h.matmul(w($"h.{l}.mlp.c_fc.weight")) + w($"h.{l}.mlp.c_fc.bias"));
            x = x + m.matmul(w($"h.{l}.mlp.c_proj.weight")) + w($"h.{l}.mlp.c_proj.bias");
        }
        x = LayerNorm(x, w("ln_f.weight"), w("ln_f.bias"), eps);
        return x.matmul(wte.t());
    }

    /// <summary>GPTNeoForCausalLM: nn.Linear q/k/v without bias, no 1/√d scaling, local layers see the last `window` keys.</summary>
    public static Tensor GptNeo(IReadOnlyDictionary<string, Tensor> t, int heads, double eps, string[] layerKinds, int window, Tensor tokens)
    {
        Tensor w(string name) => t[name];
        long pos = tokens.shape[1];
        var wte = w("transformer.wte.weight");
        var x = wte[tokens] + w("transformer.wpe.weight")[..(int)pos];
        for (int l = 0; l < layerKinds.Length; l++)
        {
            string p = $"transformer.h.{l}.";
            var h = LayerNorm(x, w(p + "ln_1.weight"), w(p + "ln_1.bias"), eps);
            var q = h.matmul(w(p + "attn.attention.q_proj.weight").t());
            var k = h.matmul(w(p + "attn.attention.k_proj.weight").t());
            var v = h.matmul(w(p + "attn.attention.v_proj.weight").t());
            var a = Attend(Heads(q, heads), Heads(k, heads), Heads(v, heads), null, layerKinds[l] == "local" ? window : null);
            x = x + a.matmul(w(p + "attn.attention.out_proj.weight").t()) + w(p + "attn.attention.out_proj.bias");
            h = LayerNorm(x, w(p + "ln_2.weight"), w(p + "ln_2.bias"), eps);
            var m = GeluNew(h.matmul(w(p + "mlp.c_fc.weight").t()) + w(p + "mlp.c_fc.bias"));
            x = x + m.matmul(w(p + "mlp.c_proj.weight").t()) + w(p + "mlp.c_proj.bias");
        }
        x = LayerNorm(x, w("transformer.ln_f.weight"), w("transformer.ln_f.bias"), eps);
        return x.matmul(wte.t());
    }

    /// <summary>GPTNeoXForCausalLM: query_key_value viewed as [.., heads, 3·d_head], partial rotary, parallel residual, exact gelu.</summary>
    public static Tensor GptNeox(IReadOnlyDictionary<string, Tensor> t, int heads, double rotaryPct, double theta, double eps, Tensor tokens)
    {
        Tensor w(string name) => t[name];
        long batch = tokens.shape[0], pos = tokens.shape[1];
        var x = w("gpt_neox.embed_in.weight")[tokens];
        long d = x.shape[2], dh = d / heads;
        int rotary = (int)(dh * rotaryPct);
        for (int l = 0; t.ContainsKey($"gpt_neox.layers.{l}.input_layernorm.weight"); l++)
        {
            string p = $"gpt_neox.layers.{l}.";
            var h = LayerNorm(x, w(p + "input_layernorm.weight"), w(p + "input_layernorm.bias"), eps);
            var qkv = (h.matmul(w(p + "attention.query_key_value.weight").t()) + w(p + "attention.query_key_value.bias"))
                .view(batch, pos, heads, 3 * dh).permute(0, 2, 1, 3);
            var q = Rope(qkv[.., .., .., ..(int)dh], rotary, theta);
            var k = Rope(qkv[.., .., .., (int)dh..(int)(2 * dh)], rotary, theta);
            var v = qkv[.., .., .., (int)(2 * dh)..];
            var a = Attend(q, k, v, Math.Sqrt(dh), null).matmul(w(p + "attention.dense.weight").t()) + w(p + "attention.dense.bias");
            var h2 = LayerNorm(x, w(p + "post_attention_layernorm.weight"), w(p + "post_attention_layernorm.bias"), eps);
            var m = Gelu(h2.matmul(w(p + "mlp.dense_h_to_4h.weight").t()) + w(p + "mlp.dense_h_to_4h.bias"));
            m = m.matmul(w(p + "mlp.dense_4h_to_h.weight").t()) + w(p + "mlp.dense_4h_to_h.bias");
            x = x + a + m;
        }
        x = LayerNorm(x, w("gpt_neox.final_layer_norm.weight"), w("gpt_neox.final_layer_norm.bias"), eps);
        return x.matmul(w("embed_out.weight").t());
    }

    /// <summary>LlamaForCausalLM and its relatives (Mistral, Qwen2, Gemma, Phi-3, StableLM), as switched by <paramref name="s"/>.</summary>
    public static Tensor LlamaLike(IReadOnlyDictionary<string, Tensor> t, Llama s, Tensor tokens)
    {
        Tensor w(string name) => t[name];
        bool has(string name) => t.ContainsKey(name);
        long batch = tokens.shape[0], pos = tokens.shape[1];
        var x = w("model.embed_tokens.weight")[tokens] * s.EmbeddingScale;
        int qWidth = s.Heads * s.HeadDim, kvWidth = s.KvHeads * s.HeadDim;
        Tensor Proj(Tensor input, string name) =>
            input.matmul(w(name + ".weight").t()) + (has(name + ".bias") ? w(name + ".bias") : zeros(1, dtype: float64));
        Tensor Norm(Tensor input, string name) =>
            s.LayerNorm ? LayerNorm(input, w(name + ".weight"), w(name + ".bias"), s.Eps)
            : RmsNorm(input, s.Eps) * (s.GemmaNorm ? 1.0 + w(name + ".weight") : w(name + ".weight"));

        for (int l = 0; has($"model.layers.{l}.input_layernorm.weight"); l++)
        {
            string p = $"model.layers.{l}.";
            var h = Norm(x, p + "input_layernorm");
            Tensor q, k, v;
            if (s.FusedQkv)
            {
                var qkv = Proj(h, p + "self_attn.qkv_proj");
                q = qkv[.., .., ..qWidth];
                k = qkv[.., .., qWidth..(qWidth + kvWidth)];
                v = qkv[.., .., (qWidth + kvWidth)..];
            }
            else
            {
                q = Proj(h, p + "self_attn.q_proj");
                k = Proj(h, p + "self_attn.k_proj");
                v = Proj(h, p + "self_attn.v_proj");
            }
            q = Rope(Heads(q, s.Heads), s.RotaryDims, s.Theta);
            k = Rope(Heads(k, s.KvHeads), s.RotaryDims, s.Theta);
            var a = Attend(q, k, Heads(v, s.KvHeads), Math.Sqrt(s.HeadDim), s.Window);
            x = x + Proj(a, p + "self_attn.o_proj");

            h = Norm(x, p + "post_attention_layernorm");
            Tensor gate, up;
            if (s.FusedGateUp)
            {
                var both = Proj(h, p + "mlp.gate_up_proj").chunk(2, -1);
                (gate, up) = (both[0], both[1]);
            }
            else
            {
                gate = Proj(h, p + "mlp.gate_proj");
                up = Proj(h, p + "mlp.up_proj");
            }
            var act = s.GeluTanh ? GeluNew(gate) : gate * gate.sigmoid();
            x = x + Proj(act * up, p + "mlp.down_proj");
        }
        x = Norm(x, "model.norm");
        return x.matmul((has("lm_head.weight") ? w("lm_head.weight") : w("model.embed_tokens.weight")).t());
    }

    // ---- pieces, as Hugging Face writes them ----

    /// <summary>[batch, pos, n·d_head] → [batch, n, pos, d_head].</summary>
    private static Tensor Heads(Tensor x, long n) => x.view(x.shape[0], x.shape[1], n, x.shape[2] / n).transpose(1, 2);

    /// <summary>Causal softmax attention; keys/values repeated per group (repeat_kv); a window keeps keys j with j > i − window.
    /// Returns the merged heads [batch, pos, heads·d_head].</summary>
    private static Tensor Attend(Tensor q, Tensor k, Tensor v, double? scale, int? window)
    {
        long batch = q.shape[0], heads = q.shape[1], pos = q.shape[2], dh = q.shape[3], kvHeads = k.shape[1];
        long rep = heads / kvHeads;
        k = k.unsqueeze(2).expand(batch, kvHeads, rep, pos, dh).reshape(batch, heads, pos, dh);
        v = v.unsqueeze(2).expand(batch, kvHeads, rep, pos, dh).reshape(batch, heads, pos, dh);
        var scores = q.matmul(k.transpose(-1, -2));
        if (scale is { } s)
            scores = scores / s;
        var i = arange(pos).unsqueeze(1);
        var j = arange(pos).unsqueeze(0);
        var allowed = j <= i;
        if (window is { } wsize)
            allowed = allowed.logical_and(j > i - wsize);
        scores = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity);
        var z = scores.softmax(-1).matmul(v);
        return z.transpose(1, 2).reshape(batch, pos, heads * dh);
    }

    /// <summary>Rotary on the first <paramref name="dims"/> of each head, rotate_half convention: inv_freq = 1/θ^(2i/dims), emb = cat(freqs, freqs).</summary>
    private static Tensor Rope(Tensor x, int dims, double theta)
    {
        long pos = x.shape[2];
        var invFreq = 1.0 / pow(theta, arange(0, dims, 2, dtype: float64) / dims);
        var freqs = arange(pos, dtype: float64).unsqueeze(1) * invFreq.unsqueeze(0);
        var emb = cat([freqs, freqs], -1);
        var (cos, sin) = (emb.cos(), emb.sin());
        var rot = x[.., .., .., ..dims];
        var pass = x[.., .., .., dims..];
        var halfA = rot[.., .., .., ..(dims / 2)];
        var halfB = rot[.., .., .., (dims / 2)..];
        var rotated = rot * cos + cat([-halfB, halfA], -1) * sin;
        return cat([rotated, pass], -1);
    }

    private static Tensor LayerNorm(Tensor x, Tensor weight, Tensor bias, double eps)
    {
        var mean = x.mean([-1L], keepdim: true);
        var variance = (x - mean).square().mean([-1L], keepdim: true);
        return (x - mean) / (variance + eps).sqrt() * weight + bias;
    }

    private static Tensor RmsNorm(Tensor x, double eps) => x * (x.square().mean([-1L], keepdim: true) + eps).rsqrt();

    private static Tensor GeluNew(Tensor x) => 0.5 * x * (1.0 + (Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x.pow(3))).tanh());

    private static Tensor Gelu(Tensor x) => 0.5 * x * (1.0 + (x / Math.Sqrt(2.0)).erf());
}
