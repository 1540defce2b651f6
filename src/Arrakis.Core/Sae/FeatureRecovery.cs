using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>How well a set of learned directions recovers known feature directions.</summary>
public static class FeatureRecovery
{
    /// <summary>
    /// For each true direction (row of <paramref name="trueDirections"/> [n, d]), the largest |cosine| with any row of
    /// <paramref name="learned"/> [k, d] (an SAE's <c>W_dec</c>, or principal components, whose sign is arbitrary).
    /// </summary>
    /// <returns>[n] best |cosine| per true feature.</returns>
    public static float[] BestCosines(Tensor trueDirections, Tensor learned)
    {
        ArgumentNullException.ThrowIfNull(trueDirections);
        ArgumentNullException.ThrowIfNull(learned);
        if (trueDirections.dim() != 2 || learned.dim() != 2 || trueDirections.shape[1] != learned.shape[1])
            throw new ArgumentException($"Expected [n, d] and [k, d]; got [{string.Join(", ", trueDirections.shape)}] and [{string.Join(", ", learned.shape)}].", nameof(learned));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = trueDirections.to(ScalarType.Float32, CPU);
        var b = learned.detach().to(ScalarType.Float32, CPU);
        a = a / a.norm(1, keepdim: true, p: 2).clamp_min(1e-12);
        b = b / b.norm(1, keepdim: true, p: 2).clamp_min(1e-12);
        return matmul(a, b.t()).abs().max(1).values.data<float>().ToArray();
    }

    /// <summary>The fraction of <paramref name="bestCosines"/> at or above <paramref name="threshold"/>.</summary>
    public static double Share(IReadOnlyList<float> bestCosines, double threshold = 0.9) =>
        bestCosines.Count(c => c >= threshold) / (double)bestCosines.Count;
}
