namespace Arrakis.Facts;

/// <summary>
/// One state type's causal-tracing grid: for each layer l and traced position p, the probability of the target when the
/// state is restored to its clean value in the corrupted run, averaged over the noise samples.
/// </summary>
/// <param name="State">The state type.</param>
/// <param name="Window">Layers restored together (1 for residual states).</param>
/// <param name="Positions">The traced positions, the columns.</param>
/// <param name="Restored">P*(o | clean h_p^l) [layer][column]: the corrupted run with the state restored.</param>
/// <param name="Direct">P(o | clean input, corrupted h_p^l) [layer][column]: the clean run with the state held at its
/// corrupted value (per noise sample), or <c>null</c> when not computed.</param>
/// <param name="CorruptedProbability">P*(o), the corrupted run's probability (the baseline of the effects).</param>
public sealed record CausalTraceGrid(TraceState State, int Window, IReadOnlyList<int> Positions, double[][] Restored, double[][]? Direct,
    double CorruptedProbability)
{
    /// <summary>Indirect effect IE = P*(o | clean h_p^l) − P*(o) of the state at (layer, column) (ROME).</summary>
    public double IndirectEffect(int layer, int column) => Restored[layer][column] - CorruptedProbability;

    /// <summary>Natural direct effect NDE = P(o | clean input, corrupted h_p^l) − P*(o) (Vig et al. 2020): the effect of the
    /// clean input that does not pass through the state. Throws when the direct grid was not computed.</summary>
    public double DirectEffect(int layer, int column) =>
        (Direct ?? throw new InvalidOperationException("This grid has no direct effects: trace with DirectEffect = true."))[layer][column] - CorruptedProbability;

    /// <summary>The layer whose state at <paramref name="position"/> has the largest indirect effect, and that effect.</summary>
    /// <exception cref="ArgumentException"><paramref name="position"/> was not traced.</exception>
    public (int Layer, double Effect) Peak(int position)
    {
        int column = Positions.ToList().IndexOf(position);
        if (column < 0)
            throw new ArgumentException($"position {position} was not traced; traced positions: {string.Join(", ", Positions)}.", nameof(position));
        int best = 0;
        for (int l = 1; l < Restored.Length; l++)
            if (Restored[l][column] > Restored[best][column]) best = l;
        return (best, IndirectEffect(best, column));
    }
}
