namespace Arrakis.Facts;

/// <summary>
/// A causal trace of one prompt (Meng et al. 2022, ROME): the clean and corrupted probabilities of the target and one
/// <see cref="CausalTraceGrid"/> per state type.
/// </summary>
/// <param name="Tokens">The prompt's token ids.</param>
/// <param name="SubjectStart">First corrupted position.</param>
/// <param name="SubjectEnd">One past the last corrupted position.</param>
/// <param name="Target">The token whose probability at the last position is measured.</param>
/// <param name="CleanProbability">P(o), the clean run.</param>
/// <param name="CorruptedProbability">P*(o), the mean over noise samples of the corrupted run.</param>
/// <param name="NoiseStd">σ of the Gaussian noise added to the subject's token embeddings.</param>
/// <param name="Samples">Noise samples.</param>
/// <param name="Seed">The noise seed.</param>
/// <param name="Grids">One grid per traced state type.</param>
/// <param name="ForwardPasses">Forward passes run (clean and corrupted included).</param>
public sealed record CausalTrace(IReadOnlyList<long> Tokens, int SubjectStart, int SubjectEnd, long Target, double CleanProbability,
    double CorruptedProbability, double NoiseStd, int Samples, long Seed, IReadOnlyList<CausalTraceGrid> Grids, int ForwardPasses)
{
    /// <summary>Total effect TE = P(o) − P*(o).</summary>
    public double TotalEffect => CleanProbability - CorruptedProbability;

    /// <summary>The subject's last token, where ROME finds the decisive MLP states.</summary>
    public int SubjectLastPosition => SubjectEnd - 1;

    /// <summary>The grid of <paramref name="state"/>.</summary>
    /// <exception cref="ArgumentException">That state was not traced.</exception>
    public CausalTraceGrid this[TraceState state] => Grids.FirstOrDefault(g => g.State == state)
        ?? throw new ArgumentException($"state {state} was not traced; traced: {string.Join(", ", Grids.Select(g => g.State))}.", nameof(state));
}
