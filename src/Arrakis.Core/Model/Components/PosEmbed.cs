using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>Learned absolute positions (TL <c>PosEmbed</c>): <c>W_pos</c> [n_ctx, d_model].</summary>
public sealed class PosEmbed : nn.Module<Tensor, Tensor>
{
    /// <summary><c>W_pos</c> [n_ctx, d_model].</summary>
    public Parameter W_pos;

    internal PosEmbed(HookedTransformerConfig cfg) : base(nameof(PosEmbed))
    {
        W_pos = new Parameter(empty(cfg.NCtx, cfg.DModel, dtype: cfg.Dtype));
        RegisterComponents();
    }

    /// <summary>positions: int64 [batch, pos] → [batch, pos, d_model].</summary>
    public override Tensor forward(Tensor positions) =>
        W_pos.index_select(0, positions.reshape(-1)).reshape(positions.shape[0], positions.shape[1], W_pos.shape[1]);
}
