using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>Stacked weight views with TransformerLens names and shapes. Each call returns a new tensor the caller owns.</summary>
public partial class HookedTransformer
{
    /// <summary><c>W_E</c> [d_vocab, d_model].</summary>
    public Tensor W_E => embed.W_E.detach();

    /// <summary><c>W_pos</c> [n_ctx, d_model] (learned positions only).</summary>
    public Tensor W_pos => pos_embed?.W_pos.detach() ?? throw new InvalidOperationException($"This model has {Cfg.PositionalEmbedding} positions, not a learned W_pos.");

    /// <summary><c>W_U</c> [d_model, d_vocab].</summary>
    public Tensor W_U => unembed.W_U.detach();

    /// <summary><c>b_U</c> [d_vocab].</summary>
    public Tensor b_U => unembed.b_U.detach();

    /// <summary><c>W_Q</c> [n_layers, n_heads, d_model, d_head].</summary>
    public Tensor W_Q => Stack(b => b.attn.W_Q);
    /// <summary><c>W_K</c> [n_layers, n_kv_heads, d_model, d_head] (per key/value head; see <see cref="W_KExpanded"/>).</summary>
    public Tensor W_K => Stack(b => b.attn.W_K);
    /// <summary><c>W_V</c> [n_layers, n_kv_heads, d_model, d_head] (per key/value head; see <see cref="W_VExpanded"/>).</summary>
    public Tensor W_V => Stack(b => b.attn.W_V);
    /// <summary><c>W_K</c> repeated to one per query head [n_layers, n_heads, d_model, d_head].</summary>
    public Tensor W_KExpanded => ExpandKv(W_K, 1);
    /// <summary><c>W_V</c> repeated to one per query head [n_layers, n_heads, d_model, d_head].</summary>
    public Tensor W_VExpanded => ExpandKv(W_V, 1);
    /// <summary><c>W_O</c> [n_layers, n_heads, d_head, d_model].</summary>
    public Tensor W_O => Stack(b => b.attn.W_O);
    /// <summary><c>b_Q</c> [n_layers, n_heads, d_head].</summary>
    public Tensor b_Q => Stack(b => b.attn.b_Q);
    /// <summary><c>b_K</c> [n_layers, n_kv_heads, d_head].</summary>
    public Tensor b_K => Stack(b => b.attn.b_K);
    /// <summary><c>b_V</c> [n_layers, n_kv_heads, d_head].</summary>
    public Tensor b_V => Stack(b => b.attn.b_V);
    /// <summary><c>b_V</c> repeated to one per query head [n_layers, n_heads, d_head].</summary>
    public Tensor b_VExpanded => ExpandKv(b_V, 1);
    /// <summary><c>b_O</c> [n_layers, d_model].</summary>
    public Tensor b_O => Stack(b => b.attn.b_O);
    /// <summary><c>W_in</c> [n_layers, d_model, d_mlp].</summary>
    public Tensor W_in => Stack(b => Mlp(b).W_in);
    /// <summary><c>W_gate</c> [n_layers, d_model, d_mlp] (gated MLPs).</summary>
    public Tensor W_gate => Stack(b => Mlp(b).W_gate ?? throw new InvalidOperationException("This model's MLPs are not gated."));
    /// <summary><c>b_in</c> [n_layers, d_mlp].</summary>
    public Tensor b_in => Stack(b => Mlp(b).b_in);
    /// <summary><c>W_out</c> [n_layers, d_mlp, d_model].</summary>
    public Tensor W_out => Stack(b => Mlp(b).W_out);
    /// <summary><c>b_out</c> [n_layers, d_model].</summary>
    public Tensor b_out => Stack(b => Mlp(b).b_out);

    private Tensor Stack(Func<Components.TransformerBlock, Tensor> select) => stack(blocks.Select(b => select(b).detach()).ToArray());

    private Components.Mlp Mlp(Components.TransformerBlock block) =>
        block.mlp ?? throw new InvalidOperationException("This model is attention-only: it has no MLP weights.");

    private Tensor ExpandKv(Tensor perKvHead, int headDim)
    {
        int groups = Cfg.NHeads / Cfg.EffectiveKeyValueHeads;
        return groups == 1 ? perKvHead : perKvHead.repeat_interleave(groups, dim: headDim);
    }

    /// <summary>
    /// Gives every parameter a contiguous layout, keeping its values. W_Q, W_K and W_V are made as strided views of one
    /// [d_model, heads·d_head] matrix so that a forward pass projects all heads without copying weights; TorchSharp's
    /// <c>Optimizer.save_state_dict</c> cannot write the (equally strided) optimiser state of such parameters, so a
    /// training loop that saves its optimiser calls this once before creating the optimiser (<c>Trainer</c> does). The
    /// forward pass then copies those three weights per layer, as it would for any contiguous [heads, d_model, d_head].
    /// </summary>
    public void MakeParametersContiguous()
    {
        foreach (var (_, parameter) in named_parameters())
        {
            if (parameter.is_contiguous())
                continue;
            using var contiguous = parameter.contiguous();
            Util.StorageSwap.Into(parameter, contiguous);
        }
    }
}
