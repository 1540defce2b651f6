namespace Arrakis;

/// <summary>Rank statistics for comparing an approximate attribution with the exact one (AtP against exhaustive patching).</summary>
public static class RankCorrelation
{
    /// <summary>Spearman's ρ: the Pearson correlation of the two rankings (tied values share their mean rank). NaN when either is constant.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or fewer than two values.</exception>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
            throw new ArgumentException($"y has {y.Count} values; expected as many as x ({x.Count}).", nameof(y));
        if (x.Count < 2)
            throw new ArgumentException($"x has {x.Count} values; a rank correlation needs at least 2.", nameof(x));
        var (rx, ry) = (Ranks(x), Ranks(y));
        double mx = rx.Average(), my = ry.Average();
        double covariance = rx.Zip(ry, (a, b) => (a - mx) * (b - my)).Sum();
        return covariance / Math.Sqrt(rx.Sum(a => (a - mx) * (a - mx)) * ry.Sum(b => (b - my) * (b - my)));
    }

    /// <summary>The indices of the <paramref name="count"/> largest |values|, largest first.</summary>
    public static int[] TopByMagnitude(IReadOnlyList<double> values, int count)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Select((v, i) => (Magnitude: Math.Abs(v), Index: i)).OrderByDescending(p => p.Magnitude).Take(count).Select(p => p.Index).ToArray();
    }

    /// <summary>0-based ranks, ties at their mean rank.</summary>
    private static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = values.Select((v, i) => (Value: v, Index: i)).OrderBy(p => p.Value).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && order[end + 1].Value == order[start].Value) end++;
            for (int k = start; k <= end; k++) ranks[order[k].Index] = (start + end) / 2.0;
            start = end + 1;
        }
        return ranks;
    }
}
