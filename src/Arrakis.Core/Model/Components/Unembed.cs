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
    public override Tensor forward(Tensor residual) => hook_out.Run(hook_in.Run(residual).matmul(W_U) + b_U);
}
