using MathNet.Numerics.Statistics;
using Sample.WordCount.Contracts;

namespace Sample.WordCount;

/// <summary>
/// The <c>wordcount</c> tool. Stateless, so one instance serves every thread. Word-length statistics use
/// MathNet.Numerics, a private dependency: it loads from the plugin's own folder (its deps.json), not the host's.
/// </summary>
public sealed class WordCountTool : IWordCount
{
    /// <inheritdoc />
    public WordCountResult Count(string text, int top = 10)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(top);

        var words = Words(text).ToList();
        var frequencies = words
            .GroupBy(w => w, StringComparer.Ordinal)
            .Select(g => new WordFrequency(g.Key, g.Count()))
            .OrderByDescending(f => f.Count)
            .ThenBy(f => f.Word, StringComparer.Ordinal)
            .ToList();
        var lengths = words.Select(w => (double)w.Length).ToArray();

        return new WordCountResult(
            Words: words.Count,
            DistinctWords: frequencies.Count,
            Lines: Lines(text),
            Characters: text.Length,
            MeanWordLength: lengths.Length == 0 ? 0 : lengths.Mean(),
            WordLengthStdDev: lengths.Length < 2 ? 0 : lengths.StandardDeviation(),
            Top: frequencies.Take(top).ToArray());
    }

    /// <summary>Maximal runs of letters and digits, with apostrophes allowed between them; lower-cased.</summary>
    private static IEnumerable<string> Words(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && (char.IsLetterOrDigit(text[i])
                || (text[i] is '\'' or '\u2019' && start >= 0 && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1])));
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                yield return text[start..i].ToLowerInvariant();
                start = -1;
            }
        }
    }

    private static int Lines(string text)
    {
        if (text.Length == 0) return 0;
        var lines = text.Count(c => c == '\n');
        return text[^1] == '\n' ? lines : lines + 1;
    }
}
