namespace Arrakis.Sae;

/// <summary>Activation frequencies of one hook point's units (<see cref="ActivationSparsity"/>).</summary>
/// <param name="HookName">Where they were read.</param>
/// <param name="Positions">Token positions measured.</param>
/// <param name="Frequency">Per unit, the fraction of positions at which it fired.</param>
/// <param name="DenseThreshold">Above this frequency a unit counts as dense.</param>
/// <param name="LogFrequencyHistogram">Histogram of log10(frequency) over the units that fired.</param>
public sealed record SparsityResult(string HookName, long Positions, IReadOnlyList<float> Frequency, double DenseThreshold,
    IReadOnlyList<HistogramBin> LogFrequencyHistogram)
{
    /// <summary>Units that never fired.</summary>
    public int DeadCount => Frequency.Count(f => f == 0);

    /// <summary>Units firing at more than <see cref="DenseThreshold"/> of positions.</summary>
    public int DenseCount => Frequency.Count(f => f > DenseThreshold);

    /// <summary>Mean frequency (= mean L0 / number of units).</summary>
    public double MeanFrequency => Frequency.Average(f => (double)f);
}
