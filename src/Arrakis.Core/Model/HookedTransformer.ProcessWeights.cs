using Arrakis.Components;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

public partial class HookedTransformer
{
    /// <summary>
    /// Rewrites the weights in place so that analysis is simpler and outputs are unchanged up to a per-position constant
    /// in the logits (TL <c>process_weights_</c>); see <see cref="ProcessWeightsOptions"/> for each step's formula.
    /// Log-softmax outputs are preserved. Updates <see cref="Cfg"/> (e.g. LayerNorm → LayerNormPre after folding).
    /// </summary>
    public void ProcessWeights(ProcessWeightsOptions? options = null)
    {
        options ??= ProcessWeightsOptions.Default;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (options.FoldLn && Cfg.HasNormWeights)
            FoldLayerNorms();
        if (options.CenterWritingWeights && Cfg.NormCenters)
            CenterWritingWeights();
        if (options.CenterUnembed)
        {
            unembed.W_U.sub_(unembed.W_U.mean([-1L], keepdim: true));
            unembed.b_U.sub_(unembed.b_U.mean());
        }
        if (options.FoldValueBiases)
            FoldValueBiases();
    }

    private void FoldLayerNorms()
    {
        bool centre = Cfg.Normalization == NormalizationType.LayerNorm;
        foreach (var block in blocks)
        {
            var attn = block.attn;
            FoldInto(block.ln1, attn.W_Q, attn.b_Q, centre);
            FoldInto(block.ln1, attn.W_K, attn.b_K, centre);
            FoldInto(block.ln1, attn.W_V, attn.b_V, centre);
            block.ln1.DropWeights();
            if (block.mlp is { } mlp)
            {
                FoldInto(block.ln2!, mlp.W_in, mlp.b_in, centre);
                if (mlp.W_gate is { } gate)
                    FoldInto(block.ln2!, gate, mlp.b_gate!, centre);
                block.ln2!.DropWeights();
            }
        }
        FoldInto(ln_final, unembed.W_U, unembed.b_U, centre);
        ln_final.DropWeights();
        Cfg = Cfg with { Normalization = Cfg.Normalization == NormalizationType.LayerNorm ? NormalizationType.LayerNormPre : NormalizationType.RMSNormPre };
    }

    /// <summary>
    /// Reader weights W [..., d_model, out] (per head or not) and bias [..., out]: b += norm.b·W, then W = norm.w ⊙ W
    /// (row-wise over d_model); with <paramref name="centre"/>, W −= its mean over d_model.
    /// </summary>
    private static void FoldInto(NormLayer norm, Tensor weight, Tensor bias, bool centre)
    {
        int dModelAxis = (int)weight.dim() - 2;
        if (norm.b is { } normBias)
            bias.add_(normBias.matmul(weight));  // [..., out]
        var w = norm.w!;
        var shape = Enumerable.Repeat(1L, (int)weight.dim()).ToArray();
        shape[dModelAxis] = w.shape[0];
        weight.mul_(w.reshape(shape));
        if (centre)
            weight.sub_(weight.mean([dModelAxis], keepdim: true));
    }

    private void CenterWritingWeights()
    {
        static void CentreLast(Tensor t) => t.sub_(t.mean([-1L], keepdim: true));
        CentreLast(embed.W_E);
        if (pos_embed is not null)
            CentreLast(pos_embed.W_pos);
        foreach (var block in blocks)
        {
            CentreLast(block.attn.W_O);
            CentreLast(block.attn.b_O);
            if (block.mlp is { } mlp)
            {
                CentreLast(mlp.W_out);
                CentreLast(mlp.b_out);
            }
        }
    }

    private void FoldValueBiases()
    {
        int groups = Cfg.NHeads / Cfg.EffectiveKeyValueHeads;
        foreach (var block in blocks)
        {
            var attn = block.attn;
            var perHead = attn.b_V.repeat_interleave(groups, dim: 0);                // [n_heads, d_head]
            attn.b_O.add_(einsum("hd,hdm->m", perHead, attn.W_O));                   // Σ_h b_V[h]·W_O[h]
            attn.b_V.zero_();
        }
    }
}
