using System.Reflection;
using Arrakis;
using Sample.WordCount.Contracts;

namespace Sample.WordCount.Tests;

public class WordCountToolTests
{
    private readonly WordCountTool _tool = new();

    [Fact]
    public void Count_counts_words_lines_and_characters()
    {
        var result = _tool.Count("The cat saw the dog.\nThe dog ran", top: 2);

        Assert.Equal(8, result.Words);
        Assert.Equal(5, result.DistinctWords);
        Assert.Equal(2, result.Lines);
        Assert.Equal(32, result.Characters);
        Assert.Equal([new WordFrequency("the", 3), new WordFrequency("dog", 2)], result.Top);
    }

    [Fact]
    public void Count_computes_word_length_statistics()
    {
        // Lengths 1, 3, 5: mean 3, sample standard deviation 2.
        var result = _tool.Count("a bcd efghi");

        Assert.Equal(3.0, result.MeanWordLength, precision: 12);
        Assert.Equal(2.0, result.WordLengthStdDev, precision: 12);
    }

    [Fact]
    public void Count_keeps_inner_apostrophes_and_breaks_on_punctuation()
    {
        var result = _tool.Count("don't stop-believing 'quoted'", top: 10);

        Assert.Equal(["believing", "don't", "quoted", "stop"], result.Top.Select(f => f.Word).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Count_of_empty_text_is_all_zero()
    {
        var result = _tool.Count("");

        Assert.Equal(new WordCountResult(0, 0, 0, 0, 0, 0, []), result with { Top = [] });
        Assert.Empty(result.Top);
    }

    [Fact]
    public void Count_orders_ties_by_word()
    {
        var result = _tool.Count("b a c b a c", top: 3);

        Assert.Equal(["a", "b", "c"], result.Top.Select(f => f.Word));
    }

    [Fact]
    public void Contract_names_a_valid_tool()
    {
        var tool = typeof(IWordCount).GetCustomAttribute<ToolAttribute>();

        Assert.NotNull(tool);
        Assert.Equal("wordcount", tool.Name);
        Assert.True(ToolAttribute.IsValidName(tool.Name), $"'{tool.Name}' must match [a-z][a-z0-9_-]*");
    }

    [Fact]
    public void Plugin_declares_the_api_it_was_built_for()
    {
        var api = typeof(WordCountTool).Assembly.GetCustomAttribute<PluginApiAttribute>();

        Assert.NotNull(api);
        Assert.Equal(ArrakisVersion.PluginApiMajor, api.Major);
    }

    [Fact]
    public void Contract_lives_outside_the_plugin_assembly()
    {
        Assert.NotEqual(typeof(WordCountTool).Assembly, typeof(IWordCount).Assembly);
    }
}
