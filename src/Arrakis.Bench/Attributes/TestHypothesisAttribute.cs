namespace Arrakis.Bench;

/// <summary>
/// After each run of a <see cref="UseToolsAttribute"/> experiment, draws <see cref="Samples"/> values from each of two
/// sample functions and compares them with a Welch two-sample t-test (Arrakis's <c>@exp.test_hypothesis</c>, which
/// used Student's test). t, the degrees of freedom, the two-sided p and the decision (reject the null when p &lt;
/// <see cref="Alpha"/>) are attached to the run's record (<see cref="ExperimentRecord.Hypothesis"/>).
/// </summary>
/// <remarks>
/// Each sample function is a method of the same class returning <c>double</c> and taking the experiment's ordinary
/// parameters, optionally followed by its tools; name them with <c>nameof</c>. A wrong name or signature is a
/// compile error (ARK008, ARK009).
/// </remarks>
/// <example><code>
/// [UseTools("logit"), LogExperiment, TestHypothesis(nameof(Clean), nameof(Corrupted), Samples = 100, Alpha = 0.05)]
/// public double LogitDiff(Tensor ids, ILogitAttributor logit) => …;
/// double Clean(Tensor ids, ILogitAttributor logit) => …;
/// double Corrupted(Tensor ids, ILogitAttributor logit) => …;
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class TestHypothesisAttribute(string nullSample, string alternativeSample) : Attribute
{
    /// <summary>The method drawing one sample under the null hypothesis.</summary>
    public string NullSample { get; } = nullSample;

    /// <summary>The method drawing one sample under the alternative hypothesis.</summary>
    public string AlternativeSample { get; } = alternativeSample;

    /// <summary>Samples drawn from each function (at least 2).</summary>
    public int Samples { get; set; } = 100;

    /// <summary>Significance level: the null is rejected when p &lt; Alpha.</summary>
    public double Alpha { get; set; } = 0.05;
}
