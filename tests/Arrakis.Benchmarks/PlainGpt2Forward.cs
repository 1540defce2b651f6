using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// The baseline for hook overhead: GPT-2's forward pass in batched tensor ops over a <see cref="HookedTransformer"/>'s
/// parameters, with no hook points in the path.
/// </summary>
internal static class PlainGpt2Forward
{
    public static Tensor Logits(HookedTransformer model, Tensor tokens)
    {
        var cfg = model.Cfg;
        long batch = tokens.shape[0], pos = tokens.shape[1];
        int h = cfg.NHeads, dh = cfg.DHead, d = cfg.DModel;
        var x = model.embed.W_E.index_select(0, tokens.reshape(-1)).reshape(batch, pos, d) + model.pos_embed!.W_pos[..(int)pos];
        var future = ones(pos, pos, dtype: ScalarType.Bool).triu(1);
        foreach (var block in model.blocks)
        {
            var a = block.attn;
            var n = Norm(x, block.ln1.w!, block.ln1.b!, cfg.Eps);
            Tensor Project(Tensor w, Tensor b) => n.matmul(w.permute(1, 0, 2).reshape(d, h * dh)).reshape(batch, pos, h, dh).add(b).permute(0, 2, 1, 3);
            var q = Project(a.W_Q, a.b_Q);
            var k = Project(a.W_K, a.b_K);
            var v = Project(a.W_V, a.b_V);
            var pattern = (q.matmul(k.transpose(2, 3)) / Math.Sqrt(dh)).masked_fill(future, double.NegativeInfinity).softmax(-1);
            var z = pattern.matmul(v).permute(0, 2, 1, 3).reshape(batch, pos, h * dh);
            x = x + z.matmul(a.W_O.reshape(h * dh, d)) + a.b_O;
            var m = block.mlp!;
            var pre = Norm(x, block.ln2!.w!, block.ln2.b!, cfg.Eps).matmul(m.W_in) + m.b_in;
            var post = 0.5 * pre * (1.0 + (Math.Sqrt(2.0 / Math.PI) * (pre + 0.044715 * pre.pow(3))).tanh());
            x = x + post.matmul(m.W_out) + m.b_out;
        }
        return Norm(x, model.ln_final.w!, model.ln_final.b!, cfg.Eps).matmul(model.unembed.W_U) + model.unembed.b_U;
    }

    private static Tensor Norm(Tensor x, Tensor w, Tensor b, double eps)
    {
        var centred = x - x.mean([-1L], keepdim: true);
        return centred / (centred.pow(2).mean([-1L], keepdim: true) + eps).sqrt() * w + b;
    }
}
