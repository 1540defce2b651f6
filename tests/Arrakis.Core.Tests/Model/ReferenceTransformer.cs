using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Model;

/// <summary>
/// A straightforward forward pass written with plain tensor ops and explicit per-head loops, reading the model's
/// parameters but none of its hook machinery: the independent check of <see cref="HookedTransformer.Forward"/>.
/// </summary>
internal static class ReferenceTransformer
{
    public static Tensor Logits(HookedTransformer model, Tensor tokens)
    {
        var cfg = model.Cfg;
        using var noGrad = no_grad();
        long batch = tokens.shape[0], pos = tokens.shape[1];
        var x = model.embed.W_E.detach()[tokens] * (cfg.EmbeddingScale ?? 1.0);
        if (cfg.PositionalEmbedding == PositionalEmbeddingType.Learned)
            x = x + model.pos_embed!.W_pos.detach()[..(int)pos].unsqueeze(0);
        for (int l = 0; l < cfg.NLayers; l++)
        {
            var block = model.blocks[l];
            var attnOut = AttentionBlock(cfg, block.attn, Norm(cfg, block.ln1.w, block.ln1.b, x), l, pos);
            if (block.mlp is null)
            {
                x = x + attnOut;
            }
            else if (cfg.ParallelAttnMlp)
            {
                x = x + attnOut + MlpBlock(cfg, block.mlp, Norm(cfg, block.ln2!.w, block.ln2.b, x));
            }
            else
            {
                x = x + attnOut;
                x = x + MlpBlock(cfg, block.mlp, Norm(cfg, block.ln2!.w, block.ln2.b, x));
            }
        }
        x = Norm(cfg, model.ln_final.w, model.ln_final.b, x);
        return x.matmul(model.unembed.W_U.detach()) + model.unembed.b_U.detach();
    }

    private static Tensor Norm(HookedTransformerConfig cfg, Tensor? w, Tensor? b, Tensor x)
    {
        switch (cfg.Normalization)
        {
            case NormalizationType.None:
                return x;
            case NormalizationType.LayerNorm or NormalizationType.LayerNormPre:
            {
                var centred = x - x.mean([-1L], keepdim: true);
                var y = centred / (centred.square().mean([-1L], keepdim: true) + cfg.Eps).sqrt();
                return w is null ? y : y * w.detach() + b!.detach();
            }
            default:
            {
                var y = x / (x.square().mean([-1L], keepdim: true) + cfg.Eps).sqrt();
                return w is null ? y : y * w.detach();
            }
        }
    }

    private static Tensor AttentionBlock(HookedTransformerConfig cfg, Components.Attention attn, Tensor x, int layer, long pos)
    {
        int groups = cfg.NHeads / cfg.EffectiveKeyValueHeads;
        var output = attn.b_O.detach().expand(x.shape[0], pos, cfg.DModel).clone();
        var future = ones(pos, pos).triu(1).to(ScalarType.Bool);
        if (cfg.AttentionTypeOf(layer) == AttentionType.Local)
            future = future.logical_or(ones(pos, pos).tril(-cfg.WindowSize!.Value).to(ScalarType.Bool));
        for (int h = 0; h < cfg.NHeads; h++)
        {
            int g = h / groups;
            var q = x.matmul(attn.W_Q.detach()[h]) + attn.b_Q.detach()[h];  // [batch, pos, d_head]
            var k = x.matmul(attn.W_K.detach()[g]) + attn.b_K.detach()[g];
            var v = x.matmul(attn.W_V.detach()[g]) + attn.b_V.detach()[g];
            if (cfg.PositionalEmbedding == PositionalEmbeddingType.Rotary)
            {
                q = Rotate(q, cfg.EffectiveRotaryDim, cfg.RotaryBase);
                k = Rotate(k, cfg.EffectiveRotaryDim, cfg.RotaryBase);
            }
            var scores = q.matmul(k.transpose(1, 2)) / cfg.EffectiveAttnScale;
            scores = scores.masked_fill(future, double.NegativeInfinity);
            var z = scores.softmax(-1).matmul(v);
            output = output + z.matmul(attn.W_O.detach()[h]);
        }
        return output;
    }

    /// <summary>Rotates dim pairs (i, i + rotary_dim/2) one at a time by angle p·base^(−2i/rotary_dim).</summary>
    private static Tensor Rotate(Tensor x, int rotaryDim, double rotaryBase)
    {
        long pos = x.shape[1];
        int half = rotaryDim / 2;
        var result = x.clone();
        var positions = arange(pos, dtype: float64).unsqueeze(0);  // [1, pos]
        for (int i = 0; i < half; i++)
        {
            var angle = positions * Math.Pow(rotaryBase, -2.0 * i / rotaryDim);
            var cos = angle.cos().to(x.dtype);
            var sin = angle.sin().to(x.dtype);
            var a = x[.., .., i];
            var b = x[.., .., i + half];
            result[.., .., i] = a * cos - b * sin;
            result[.., .., i + half] = b * cos + a * sin;
        }
        return result;
    }

    private static Tensor MlpBlock(HookedTransformerConfig cfg, Components.Mlp mlp, Tensor x)
    {
        var linear = x.matmul(mlp.W_in.detach()) + mlp.b_in.detach();
        Tensor post = cfg.ActFn switch
        {
            ActivationFunction.Relu => linear.clamp_min(0),
            ActivationFunction.Gelu => 0.5 * linear * (1 + (linear / Math.Sqrt(2)).erf()),
            ActivationFunction.GeluNew => 0.5 * linear * (1 + (Math.Sqrt(2 / Math.PI) * (linear + 0.044715 * linear.pow(3))).tanh()),
            ActivationFunction.Silu => linear * linear.sigmoid(),
            _ => throw new NotSupportedException(),
        };
        if (mlp.W_gate is not null)
        {
            var gate = x.matmul(mlp.W_gate.detach()) + mlp.b_gate!.detach();
            post = cfg.ActFn switch
            {
                ActivationFunction.Silu => gate * gate.sigmoid(),
                ActivationFunction.GeluNew => 0.5 * gate * (1 + (Math.Sqrt(2 / Math.PI) * (gate + 0.044715 * gate.pow(3))).tanh()),
                _ => throw new NotSupportedException(),
            } * linear;
        }
        return post.matmul(mlp.W_out.detach()) + mlp.b_out.detach();
    }
}
