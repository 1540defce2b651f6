using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// Arrakis's original superposition disentangler, kept as the baseline an SAE is compared with: the principal
/// components of the activations' covariance, <c>C = (X − μ)ᵀ(X − μ) / (N − 1)</c>, eigenvectors by decreasing eigenvalue.
/// At most d orthogonal directions come out, so features in superposition (n &gt; d) cannot all be found.
/// </summary>
public static class PcaBaseline
{
    /// <summary>The top <paramref name="components"/> principal directions of <paramref name="activations"/> [N, d], as rows [components, d].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="components"/> is not in [1, d].</exception>
    public static Tensor Components(Tensor activations, int components)
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.dim() != 2 || activations.shape[0] < 2)
            throw new ArgumentException($"activations has shape [{string.Join(", ", activations.shape)}]; expected [N ≥ 2, d].", nameof(activations));
        long d = activations.shape[1];
        if (components < 1 || components > d)
            throw new ArgumentOutOfRangeException(nameof(components), components, $"expected 1 ≤ components ≤ d ({d}).");
        using var scope = NewDisposeScope();
        var x = activations.to(ScalarType.Float64);
        var centred = x - x.mean([0], keepdim: true);
        var covariance = matmul(centred.t(), centred) / (x.shape[0] - 1);
        var (_, vectors) = linalg.eigh(covariance);  // ascending eigenvalues, vectors in columns
        return vectors.flip(1)[.., ..components].t().contiguous().to(activations.dtype).MoveToOuterDisposeScope();
    }
}
