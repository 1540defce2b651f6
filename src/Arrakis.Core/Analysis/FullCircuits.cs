using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// A head's circuits in token (and position) space (A Mathematical Framework for Transformer Circuits, "full OV/QK
/// circuits"; TL's <c>model.OV</c> and <c>model.QK</c> with the embedding and unembedding attached), row-vector convention,
/// kept factored (d_vocab × d_vocab is never formed): biases and layer norms are left out, so call
/// <c>ProcessWeights()</c> (fold_ln; <c>FromPretrained</c> does by default) to read the effective weights.
/// </summary>
public static class FullCircuits
{
    /// <summary>
    /// W_E·W_V[h]·W_O[h]·W_U [d_vocab, d_vocab]: entry [s, t] is how much attending to a source token s raises the logit
    /// of t along the direct path (factors W_E·W_V [d_vocab, d_head] and W_O·W_U [d_head, d_vocab]). Caller disposes.
    /// </summary>
    public static FactoredMatrix FullOV(HookedTransformer model, HeadIndex head)
    {
        ArgumentNullException.ThrowIfNull(model);
        head.Validate(model.Cfg, nameof(head));
        using var scope = NewDisposeScope();
        var a = model.W_E.matmul(model.W_VExpanded[head.Layer, head.Head]);   // [d_vocab, d_head]
        var b = model.W_O[head.Layer, head.Head].matmul(model.W_U);           // [d_head, d_vocab]
        return new FactoredMatrix(a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// W_E·W_Q[h]·W_K[h]ᵀ·W_Eᵀ [d_vocab, d_vocab]: entry [q, k] is the attention score (before scaling) a query token q
    /// gives a key token k through the token embeddings alone. Caller disposes.
    /// </summary>
    public static FactoredMatrix FullQK(HookedTransformer model, HeadIndex head) => QK(model, head, model.W_E, model.W_E);

    /// <summary>
    /// W_pos·W_Q[h]·W_K[h]ᵀ·W_posᵀ [n_ctx, n_ctx]: the score a query position gives a key position through the learned
    /// positional embeddings alone. Caller disposes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no learned positional embedding (rotary, ALiBi-free, none).</exception>
    public static FactoredMatrix PositionalQK(HookedTransformer model, HeadIndex head) => QK(model, head, model.W_pos, model.W_pos);

    /// <summary>W_E·W_Q[h]·W_K[h]ᵀ·W_posᵀ [d_vocab, n_ctx]: the score a query token gives each key position. Caller disposes.</summary>
    public static FactoredMatrix TokenToPositionQK(HookedTransformer model, HeadIndex head) => QK(model, head, model.W_E, model.W_pos);

    /// <summary>
    /// The copying score of A Mathematical Framework: over the eigenvalues λ of the full OV circuit,
    /// Σ Re λ / Σ |λ| ∈ [−1, 1] — 1 when every non-zero eigenvalue is positive (the head raises the logit of the token it
    /// attends to), −1 when all are negative. Computed from the d_head × d_head matrix (W_O·W_U)·(W_E·W_V), which has the
    /// same non-zero eigenvalues. 0 for a head whose full OV circuit is zero.
    /// </summary>
    public static double CopyingScore(HookedTransformer model, HeadIndex head)
    {
        using var scope = NewDisposeScope();
        using var ov = FullOV(model, head);
        var eigenvalues = ov.Eigenvalues();                                    // complex [d_head]
        double total = eigenvalues.abs().sum().item<float>();
        return total == 0 ? 0 : eigenvalues.real.sum().item<float>() / total;
    }

    private static FactoredMatrix QK(HookedTransformer model, HeadIndex head, Tensor queryEmbedding, Tensor keyEmbedding)
    {
        ArgumentNullException.ThrowIfNull(model);
        head.Validate(model.Cfg, nameof(head));
        using var scope = NewDisposeScope();
        var a = queryEmbedding.matmul(model.W_Q[head.Layer, head.Head]);                  // [rows, d_head]
        var b = keyEmbedding.matmul(model.W_KExpanded[head.Layer, head.Head]).T.contiguous();   // [d_head, cols]
        return new FactoredMatrix(a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope());
    }
}
