using Arrakis.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// The data of a toy model of superposition (Elhage et al. 2022), built from a seed: <c>n</c> sparse ground-truth
/// features embedded as random unit directions in <c>m &lt; n</c> dimensions. An activation is
/// <c>h = Σ_i f_i · d_i</c>, where each feature is active (f_i ~ U(0, 1)) with probability <c>p</c> and 0 otherwise.
/// </summary>
public sealed class ToySuperposition : IDisposable
{
    private readonly long _seed;

    /// <summary>Builds the feature directions for <paramref name="features"/> in <paramref name="dimensions"/> dimensions.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the probability is not in (0, 1].</exception>
    public ToySuperposition(int features, int dimensions, double featureProbability, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(features, 0);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(dimensions, 0);
        if (!(featureProbability > 0 && featureProbability <= 1))
            throw new ArgumentOutOfRangeException(nameof(featureProbability), featureProbability, "expected a probability in (0, 1].");
        Features = features;
        Dimensions = dimensions;
        FeatureProbability = featureProbability;
        _seed = seed;
        var directions = randn(features, dimensions, dtype: ScalarType.Float32, device: CPU, generator: new Generator((ulong)seed, device: CPU));
        Directions = (directions / directions.norm(1, keepdim: true, p: 2)).DetachFromDisposeScope();
        directions.Dispose();
    }

    /// <summary>n, the number of ground-truth features.</summary>
    public int Features { get; }

    /// <summary>m, the embedding dimension.</summary>
    public int Dimensions { get; }

    /// <summary>p, the probability that a feature is active.</summary>
    public double FeatureProbability { get; }

    /// <summary>The true feature directions, unit rows [n, m] (CPU).</summary>
    public Tensor Directions { get; }

    /// <summary>
    /// <paramref name="count"/> activations [count, m] (CPU), a pure function of the seed and <paramref name="stream"/>.
    /// </summary>
    public Tensor Sample(int count, long stream = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(count, 0);
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(_seed * 7919 + 1 + stream), device: CPU);
        var magnitude = rand(count, Features, dtype: ScalarType.Float32, device: CPU, generator: generator);
        var active = rand(count, Features, dtype: ScalarType.Float32, device: CPU, generator: generator) < FeatureProbability;
        return matmul(magnitude * active.to(ScalarType.Float32), Directions).MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the directions.</summary>
    public void Dispose() => Directions.Dispose();
}
