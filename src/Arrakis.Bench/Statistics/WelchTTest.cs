using MathNet.Numerics.Distributions;

namespace Arrakis.Bench;

/// <summary>
/// Welch's two-sample t-test (unequal variances), two-sided:
/// t = (m_a − m_b) / √(s²_a/n_a + s²_b/n_b), ν = (s²_a/n_a + s²_b/n_b)² / ((s²_a/n_a)²/(n_a−1) + (s²_b/n_b)²/(n_b−1)),
/// p = 2·(1 − F_ν(|t|)) with F_ν the Student t CDF (MathNet.Numerics). scipy: <c>ttest_ind(a, b, equal_var=False)</c>.
/// </summary>
/// <param name="MeanA">Mean of the first sample.</param>
/// <param name="MeanB">Mean of the second sample.</param>
/// <param name="VarianceA">Unbiased variance of the first sample.</param>
/// <param name="VarianceB">Unbiased variance of the second sample.</param>
/// <param name="T">The t statistic.</param>
/// <param name="DegreesOfFreedom">Welch–Satterthwaite ν.</param>
/// <param name="P">Two-sided p-value.</param>
public readonly record struct WelchTTest(double MeanA, double MeanB, double VarianceA, double VarianceB, double T, double DegreesOfFreedom, double P)
{
    /// <summary>Runs the test on two samples of at least two values each.</summary>
    /// <remarks>Both variances zero: t = 0 and p = 1 when the means are equal, t = ±∞ and p = 0 otherwise.</remarks>
    public static WelchTTest Compute(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count < 2 || b.Count < 2) throw new ArgumentException("Each sample needs at least two values.");
        (double meanA, double varA) = MeanVariance(a);
        (double meanB, double varB) = MeanVariance(b);
        double seA = varA / a.Count, seB = varB / b.Count;
        double se2 = seA + seB;
        if (se2 == 0)
        {
            return meanA == meanB
                ? new WelchTTest(meanA, meanB, varA, varB, 0, a.Count + b.Count - 2, 1)
                : new WelchTTest(meanA, meanB, varA, varB, meanA > meanB ? double.PositiveInfinity : double.NegativeInfinity, a.Count + b.Count - 2, 0);
        }
        double t = (meanA - meanB) / Math.Sqrt(se2);
        double df = se2 * se2 / (seA * seA / (a.Count - 1) + seB * seB / (b.Count - 1));
        double p = 2 * StudentT.CDF(0, 1, df, -Math.Abs(t));
        return new WelchTTest(meanA, meanB, varA, varB, t, df, Math.Min(1, p));
    }

    private static (double Mean, double Variance) MeanVariance(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double sum = 0;
        foreach (double v in values) sum += (v - mean) * (v - mean);
        return (mean, sum / (values.Count - 1));
    }
}
