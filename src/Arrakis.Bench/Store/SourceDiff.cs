using System.Text;

namespace Arrakis.Bench;

/// <summary>A line diff of two texts (longest common subsequence), written in unified form with full context.</summary>
public static class SourceDiff
{
    /// <summary>
    /// <c>--- labelA</c> / <c>+++ labelB</c> headers, then every line prefixed with <c>' '</c> (both), <c>'-'</c>
    /// (only in <paramref name="a"/>) or <c>'+'</c> (only in <paramref name="b"/>).
    /// </summary>
    public static string Unified(string a, string b, string labelA, string labelB)
    {
        string[] x = a.Split('\n'), y = b.Split('\n');
        var lcs = new int[x.Length + 1, y.Length + 1]; // lcs[i, j]: common subsequence length of x[i..] and y[j..]
        for (int i = x.Length - 1; i >= 0; i--)
        {
            for (int j = y.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = x[i] == y[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var text = new StringBuilder().Append("--- ").Append(labelA).Append('\n').Append("+++ ").Append(labelB).Append('\n');
        int p = 0, q = 0;
        while (p < x.Length || q < y.Length)
        {
            if (p < x.Length && q < y.Length && x[p] == y[q])
            {
                text.Append(' ').Append(x[p++]).Append('\n');
                q++;
            }
            else if (p < x.Length && (q == y.Length || lcs[p + 1, q] >= lcs[p, q + 1]))
            {
                text.Append('-').Append(x[p++]).Append('\n');
            }
            else
            {
                text.Append('+').Append(y[q++]).Append('\n');
            }
        }
        return text.ToString();
    }
}
