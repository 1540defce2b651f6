using Arrakis.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>Token embedding (TL <c>Embed</c>): <c>W_E</c> [d_vocab, d_model]; tokens [batch, pos] → [batch, pos, d_model].</summary>
public sealed class Embed : nn.Module<Tensor, Tensor>
{
    /// <summary><c>W_E</c> [d_vocab, d_model].</summary>
    public Parameter W_E;

    internal Embed(HookedTransformerConfig cfg) : base(nameof(Embed))
    {
        W_E = new Parameter(empty(cfg.DVocab, cfg.DModel, dtype: cfg.Dtype));
        RegisterComponents();
    }

    /// <summary>Looks up each token's row of <c>W_E</c>. tokens: int64 [batch, pos] → [batch, pos, d_model].</summary>
    public override Tensor forward(Tensor tokens) =>
        W_E.index_select(0, tokens.reshape(-1)).reshape(tokens.shape[0], tokens.shape[1], W_E.shape[1]);
}
