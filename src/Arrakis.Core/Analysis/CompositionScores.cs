using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Composition scores (A Mathematical Framework for Transformer Circuits; TL <c>utils.composition_scores</c>):
/// score(L, R) = ‖L·R‖_F / (‖L‖_F · ‖R‖_F) ∈ [0, 1], where L is the writer's W_OV and R the reader's W_QK (Q),
/// W_QKᵀ (K) or W_OV (V), all in the row-vector convention x·W. 1 means the writer's whole output lies in what the
/// reader reads; 0 means none of it does. Random matrices score about 1/√d_model (<see cref="RandomBaseline"/>).
/// </summary>
public static class CompositionScores
{
    /// <summary>The score for each broadcast pair of matrices [...].</summary>
    public static Tensor Score(FactoredMatrix left, FactoredMatrix right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        using var scope = NewDisposeScope();
        using var product = left.MatMul(right);
        return (product.Norm() / (left.Norm() * right.Norm())).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Every writer → reader score [n_layers, n_heads, n_layers, n_heads] (TL <c>all_composition_scores</c>):
    /// entry [l₁, h₁, l₂, h₂] is the score of head (l₁, h₁) writing into head (l₂, h₂); zero unless l₁ &lt; l₂.
    /// </summary>
    public static Tensor All(HookedTransformer model, CompositionKind kind)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        using var ov = model.OV;
        using var reader = kind switch { CompositionKind.Q => model.QK, CompositionKind.K => Transposed(model.QK), _ => model.OV };
        int n = model.Cfg.NLayers, h = model.Cfg.NHeads;
        // Broadcast writers [L, H, 1, 1, d, ·] against readers [1, 1, L, H, ·, d].
        using var writers = new FactoredMatrix(ov.A.reshape(n, h, 1, 1, ov.LDim, ov.MDim), ov.B.reshape(n, h, 1, 1, ov.MDim, ov.RDim));
        using var readers = new FactoredMatrix(reader.A.reshape(1, 1, n, h, reader.LDim, reader.MDim), reader.B.reshape(1, 1, n, h, reader.MDim, reader.RDim));
        var scores = Score(writers, readers);  // [L, H, L, H]
        var causal = arange(n, device: scores.device).reshape(n, 1, 1, 1) < arange(n, device: scores.device).reshape(1, 1, n, 1);
        return scores.where(causal, zeros_like(scores)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The score of random heads of the same shapes, averaged over <paramref name="samples"/> draws: W_V, W_O, W_Q, W_K
    /// with independent Gaussian entries (the score is scale-free). Compare real scores with this baseline, ≈ 1/√d_model.
    /// </summary>
    public static double RandomBaseline(int dModel, int dHead, int samples = 64, long seed = 0)
    {
        if (dModel <= 0 || dHead <= 0)
            throw new ArgumentOutOfRangeException(dModel <= 0 ? nameof(dModel) : nameof(dHead), "expected positive sizes.");
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed);
        Tensor Gaussian(params long[] shape) => randn(shape, generator: generator, device: CPU);  // a statistic of shapes alone: on the CPU, with a CPU generator
        using var writer = new FactoredMatrix(Gaussian(samples, dModel, dHead), Gaussian(samples, dHead, dModel));
        // W_QK = W_Q·W_Kᵀ and W_OV = W_V·W_O have the same factor shapes, and Gaussian factors are transpose-invariant,
        // so one draw serves every kind.
        using var reader = new FactoredMatrix(Gaussian(samples, dModel, dHead), Gaussian(samples, dHead, dModel));
        return Score(writer, reader).mean().item<float>();
    }

    private static FactoredMatrix Transposed(FactoredMatrix m)
    {
        var t = m.T;
        m.Dispose();
        return t;
    }
}
