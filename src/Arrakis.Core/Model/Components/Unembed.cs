using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>Unembedding (TL <c>Unembed</c>): logits = x · <c>W_U</c> + <c>b_U</c>; [batch, pos, d_model] → [batch, pos, d_vocab].</summary>
public sealed class Unembed : nn.Module<Tensor, Tensor>
{
    /// <summary><c>W_U</c> [d_model, d_vocab].</summary>
    public Parameter W_U;

    /// <summary><c>b_U</c> [d_vocab].</summary>
    public Parameter b_U;

    /// <summary><c>unembed.hook_in</c> [batch, pos, d_model]: the normalised residual the unembedding reads.</summary>
    public Arrakis.Hooks.HookPoint hook_in = new();

    /// <summary><c>unembed.hook_out</c> [batch, pos, d_vocab]: the logits.</summary>
    public Arrakis.Hooks.HookPoint hook_out = new();

    internal Unembed(HookedTransformerConfig cfg) : base(nameof(Unembed))
    {
        W_U = new Parameter(empty(cfg.DModel, cfg.DVocab, dtype: cfg.Dtype));
        b_U = new Parameter(zeros(cfg.DVocab, dtype: cfg.Dtype));
        RegisterComponents();
    }

    /// <inheritdoc />
    /// <remarks>One <c>addmm</c>: the bias is added by the matrix product, so no second logits-sized tensor is made.</remarks>
    public override Tensor forward(Tensor residual)
    {
        var x = hook_in.Run(residual);  // [batch, pos, d_model]
        var shape = x.shape.ToArray();
        shape[^1] = W_U.shape[1];
        return hook_out.Run(b_U.addmm(x.reshape(-1, x.shape[^1]), W_U).view(shape));
    }
}
