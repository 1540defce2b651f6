namespace Arrakis.Bench;

/// <summary>The outcome of a <c>[TestHypothesis]</c>, attached to the run's record.</summary>
/// <param name="NullFunction">The null sample function.</param>
/// <param name="AlternativeFunction">The alternative sample function.</param>
/// <param name="Samples">Samples drawn from each.</param>
/// <param name="Alpha">The significance level.</param>
/// <param name="NullMean">Mean of the null samples.</param>
/// <param name="AlternativeMean">Mean of the alternative samples.</param>
/// <param name="NullVariance">Unbiased variance of the null samples.</param>
/// <param name="AlternativeVariance">Unbiased variance of the alternative samples.</param>
/// <param name="T">Welch's t = (mean_null − mean_alt) / √(var_null/n + var_alt/n).</param>
/// <param name="DegreesOfFreedom">Welch–Satterthwaite degrees of freedom.</param>
/// <param name="P">Two-sided p-value.</param>
/// <param name="RejectNull">Whether P &lt; Alpha.</param>
public sealed record HypothesisResult(
    string NullFunction,
    string AlternativeFunction,
    int Samples,
    double Alpha,
    double NullMean,
    double AlternativeMean,
    double NullVariance,
    double AlternativeVariance,
    double T,
    double DegreesOfFreedom,
    double P,
    bool RejectNull);
