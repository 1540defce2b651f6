using Arrakis.Bench;

namespace Arrakis.Experiments.Statistics;

public class WelchTTestTests
{
    [Fact]
    public void EqualVariances_MatchTheClosedFormForFourDegreesOfFreedom()
    {
        // a = 1,2,3; b = 4,5,6: means 2 and 5, variances 1 and 1, se² = 1/3 + 1/3, t = −3/√(2/3) = −3.674235,
        // ν = (2/3)² / ((1/3)²/2 + (1/3)²/2) = 4. For ν = 4 the t CDF has a closed form,
        // F(t) = 1/2 + (3/8)·x·(1 − t²/(12·(1 + t²/4))) with x = t/√(1 + t²/4):
        // x = 1.756620, F(|t|) = 0.989344, p = 2·(1 − F(|t|)) = 0.0213116.
        WelchTTest test = WelchTTest.Compute([1, 2, 3], [4, 5, 6]);

        double t = -3 / Math.Sqrt(2.0 / 3);
        double x = Math.Abs(t) / Math.Sqrt(1 + t * t / 4);
        double p = 2 * (1 - (0.5 + 3.0 / 8 * x * (1 - t * t / (12 * (1 + t * t / 4)))));
        Assert.Equal(t, test.T, 12);
        Assert.Equal(4, test.DegreesOfFreedom, 12);
        Assert.Equal(p, test.P, 9);
        Assert.Equal(0.0213116, test.P, 6); // scipy.stats.ttest_ind([1,2,3], [4,5,6], equal_var=False).pvalue
    }

    [Fact]
    public void UnequalVariances_UseWelchSatterthwaiteDegreesOfFreedom()
    {
        // a = 1..5 (mean 3, s² = 2.5), b = 2,4,…,10 (mean 6, s² = 10): se² = 0.5 + 2 = 2.5, t = −3/√2.5,
        // ν = 2.5² / (0.5²/4 + 2²/4) = 6.25 / 1.0625 = 5.882353 (Student's pooled test would use 8).
        WelchTTest test = WelchTTest.Compute([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);

        Assert.Equal((3, 6, 2.5, 10), (test.MeanA, test.MeanB, test.VarianceA, test.VarianceB));
        Assert.Equal(-3 / Math.Sqrt(2.5), test.T, 12);
        Assert.Equal(6.25 / 1.0625, test.DegreesOfFreedom, 12);
    }

    [Fact]
    public void ConstantSamples_GiveADefiniteAnswer()
    {
        Assert.Equal((0, 1), (WelchTTest.Compute([2, 2], [2, 2]).T, WelchTTest.Compute([2, 2], [2, 2]).P));
        Assert.Equal((double.NegativeInfinity, 0), (WelchTTest.Compute([1, 1], [2, 2]).T, WelchTTest.Compute([1, 1], [2, 2]).P));
    }
}
