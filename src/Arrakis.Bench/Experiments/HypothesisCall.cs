namespace Arrakis.Bench;

/// <summary>The two sample functions of a <c>[TestHypothesis]</c>, bound to one call's arguments.</summary>
public sealed class HypothesisCall
{
    private readonly Func<double> _nullSample;
    private readonly Func<double> _alternativeSample;

    /// <summary>Binds the sample functions; <paramref name="samples"/> ≥ 2 and 0 &lt; <paramref name="alpha"/> &lt; 1.</summary>
    public HypothesisCall(string nullName, Func<double> nullSample, string alternativeName, Func<double> alternativeSample, int samples, double alpha)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 2);
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Alpha must lie strictly between 0 and 1.");
        NullName = nullName;
        AlternativeName = alternativeName;
        _nullSample = nullSample;
        _alternativeSample = alternativeSample;
        Samples = samples;
        Alpha = alpha;
    }

    /// <summary>The null sample function's name.</summary>
    public string NullName { get; }

    /// <summary>The alternative sample function's name.</summary>
    public string AlternativeName { get; }

    /// <summary>Samples drawn from each function.</summary>
    public int Samples { get; }

    /// <summary>The significance level.</summary>
    public double Alpha { get; }

    /// <summary>Draws <see cref="Samples"/> values from each function and runs the Welch t-test.</summary>
    public HypothesisResult Run()
    {
        var nulls = new double[Samples];
        var alternatives = new double[Samples];
        for (int i = 0; i < Samples; i++) nulls[i] = _nullSample();
        for (int i = 0; i < Samples; i++) alternatives[i] = _alternativeSample();
        WelchTTest test = WelchTTest.Compute(nulls, alternatives);
        return new HypothesisResult(
            NullName, AlternativeName, Samples, Alpha,
            test.MeanA, test.MeanB, test.VarianceA, test.VarianceB,
            test.T, test.DegreesOfFreedom, test.P, RejectNull: test.P < Alpha);
    }
}
