using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

public partial class HookedTransformer
{
    /// <summary>
    /// The OV circuits [n_layers, n_heads, d_model, d_model] = W_V·W_O, factored (TL <c>model.OV</c>); key/value heads
    /// are expanded to one per query head. Rank ≤ d_head. Caller disposes.
    /// </summary>
    public FactoredMatrix OV => new(W_VExpanded, W_O);

    /// <summary>
    /// The QK circuits [n_layers, n_heads, d_model, d_model] = W_Q·W_Kᵀ, factored (TL <c>model.QK</c>): a query-side
    /// residual vector q and key-side k score q·W_QK·kᵀ (before biases, rotary and scaling). Caller disposes.
    /// </summary>
    public FactoredMatrix QK => new(W_Q, W_KExpanded.transpose(-2, -1).contiguous());

    /// <summary>Every writer → reader composition score [n_layers, n_heads, n_layers, n_heads] (TL <c>all_composition_scores</c>).</summary>
    public Tensor AllCompositionScores(CompositionKind kind) => CompositionScores.All(this, kind);
}
