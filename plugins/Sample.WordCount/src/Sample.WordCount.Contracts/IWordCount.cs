using Arrakis;

namespace Sample.WordCount.Contracts;

/// <summary>
/// The contract of the <c>wordcount</c> tool: experiments resolve it with
/// <c>registry.Get&lt;IWordCount&gt;("wordcount")</c>. Counts the words of a text (e.g. a prompt, or the decoded
/// completions of an experiment) and their frequencies.
/// </summary>
[Tool("wordcount")]
public interface IWordCount
{
    /// <summary>Counts words, lines and characters of <paramref name="text"/> and its most frequent words.</summary>
    /// <param name="text">The text. A word is a maximal run of letters, digits and inner apostrophes; words are
    /// compared case-insensitively (invariant culture).</param>
    /// <param name="top">How many of the most frequent words to return (ties: ordinal order).</param>
    /// <returns>The counts (contract types only: the host serialises results).</returns>
    WordCountResult Count(string text, int top = 10);
}

/// <summary>What <see cref="IWordCount.Count"/> returns.</summary>
/// <param name="Words">Number of words.</param>
/// <param name="DistinctWords">Number of distinct words (case-insensitive).</param>
/// <param name="Lines">Number of lines (0 for an empty text; a final line without a newline counts).</param>
/// <param name="Characters">Number of UTF-16 characters.</param>
/// <param name="MeanWordLength">Mean word length in characters (0 without words).</param>
/// <param name="WordLengthStdDev">Sample standard deviation of word lengths (0 with fewer than two words).</param>
/// <param name="Top">The most frequent words, most frequent first.</param>
public sealed record WordCountResult(
    int Words,
    int DistinctWords,
    int Lines,
    int Characters,
    double MeanWordLength,
    double WordLengthStdDev,
    IReadOnlyList<WordFrequency> Top);

/// <summary>A word and how often it occurs.</summary>
/// <param name="Word">The word, lower-cased.</param>
/// <param name="Count">Its number of occurrences.</param>
public sealed record WordFrequency(string Word, int Count);
