namespace Arrakis.Util;

/// <summary>"Did you mean …?" suggestions by edit distance, for error messages that name valid choices.</summary>
/// <remarks>The one edit distance of the project: the tool registry and the [UseTools] analyzer use it too (the
/// generator compiles this file in, as an internal type: generators/Arrakis.Generators).</remarks>
#if ARRAKIS_GENERATOR
internal static class NameSuggestions
#else
public static class NameSuggestions
#endif
{
    /// <summary>The up to <paramref name="count"/> candidates closest to <paramref name="name"/> (Levenshtein distance, then ordinal).</summary>
    public static IReadOnlyList<string> Closest(string name, IEnumerable<string> candidates, int count = 3) =>
        candidates.Distinct()
            .Select(c => (Candidate: c, Distance: Distance(name, c)))
            .OrderBy(p => p.Distance).ThenBy(p => p.Candidate, StringComparer.Ordinal)
            .Take(count).Select(p => p.Candidate).ToList();

    /// <summary>The Levenshtein distance between two strings.</summary>
    public static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), substitution);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
