using Arrakis.Tokenizers;
using Arrakis.Training;
using Arrakis.Training.Tasks;
using static TorchSharp.torch;

namespace Arrakis.Tests.Training;

public class DataTests
{
    [Fact]
    public void SeededRandom_IsPinned_AndStreamsDiffer()
    {
        // The data of every shipped model depends on this exact sequence; changing the generator changes the data.
        var r = new SeededRandom(1, 0);
        var first = Enumerable.Range(0, 4).Select(_ => r.Next(1000)).ToArray();
        var again = new SeededRandom(1, 0);
        Assert.Equal(first, Enumerable.Range(0, 4).Select(_ => again.Next(1000)).ToArray());
        var other = new SeededRandom(1, 1);
        Assert.NotEqual(first, Enumerable.Range(0, 4).Select(_ => other.Next(1000)).ToArray());
        Assert.Equal(PinnedFirstValues, first);
        var u = new SeededRandom(5);
        Assert.All(Enumerable.Range(0, 1000).Select(_ => u.NextDouble()), d => Assert.InRange(d, 0.0, 1.0 - 1e-17));
        var counts = new int[3];
        var c = new SeededRandom(8);
        for (int i = 0; i < 3000; i++)
            counts[c.Next(3)]++;
        Assert.All(counts, n => Assert.InRange(n, 900, 1100));
    }

    // Computed independently from the SplitMix64 definition (a 15-line Python transcription of SeededRandom).
    private static readonly int[] PinnedFirstValues = [727, 852, 776, 599];

    [Theory]
    [InlineData("induction")]
    [InlineData("language")]
    public void Batches_AreAFunctionOfSeedAndStep(string name)
    {
        var task = TrainingTasks.Create(name);
        using var a = task.Batch(new SeededRandom(7, 3), 6);
        using var b = task.Batch(new SeededRandom(7, 3), 6);
        using var otherStep = task.Batch(new SeededRandom(7, 4), 6);
        using var otherSeed = task.Batch(new SeededRandom(8, 3), 6);
        Assert.Equal(new long[] { 6, task.SequenceLength }, a.shape);
        Assert.Equal(ScalarType.Int64, a.dtype);
        Assert.True(a.equal(b).all().item<bool>());
        Assert.False(a.equal(otherStep).all().item<bool>());
        Assert.False(a.equal(otherSeed).all().item<bool>());
        Assert.True(a[.., 0].eq(0).all().item<bool>(), "every sequence starts with <|endoftext|>");
        Assert.True(a[.., 1..].ne(task.Tokenizer.UnknownId).all().item<bool>(), "no <unk> in generated data");
        Assert.True(a.lt(task.Tokenizer.VocabSize).all().item<bool>());
        Assert.True(a[.., 1..].ne(0).all().item<bool>(), "BOS only at position 0");
    }

    [Fact]
    public void InductionBatches_RepeatASpanUntilTheEnd_InMostSequences()
    {
        var task = new InductionTask();
        using var batch = task.Batch(new SeededRandom(1, 1), 400);
        var rows = batch.data<long>().ToArray();
        int t = task.SequenceLength, repeated = 0;
        for (int b = 0; b < 400; b++)
        {
            var row = rows.AsSpan(b * t, t);
            int period = Period(row, task.MinSpan, task.MaxSpan);
            if (period > 0)
                repeated++;
        }
        Assert.InRange(repeated, 310, 370);  // 85 %

        var once = new InductionTask(repeatProbability: 1.0) { RepeatUntilEnd = false };
        using var onceBatch = once.Batch(new SeededRandom(1, 1), 100);
        var onceRows = onceBatch.data<long>().ToArray();
        Assert.All(Enumerable.Range(0, 100), b => Assert.True(HasRepeatedSpan(onceRows.AsSpan(b * t, t), once.MinSpan)));

        using var probe = InductionTask.RepeatedSequences(new SeededRandom(2), 3, 10);
        Assert.Equal(new long[] { 3, 21 }, probe.shape);
        Assert.True(probe[.., 1..11].equal(probe[.., 11..]).all().item<bool>());
    }

    /// <summary>The period L of a sequence whose tail repeats with period L (at least one full copy of the span), or 0.</summary>
    private static int Period(ReadOnlySpan<long> row, int minSpan, int maxSpan)
    {
        for (int len = minSpan; len <= maxSpan; len++)
        {
            int run = 0;
            for (int i = row.Length - 1; i >= len && row[i] == row[i - len]; i--)
                run++;
            if (run >= len)
                return len;
        }
        return 0;
    }

    private static bool HasRepeatedSpan(ReadOnlySpan<long> row, int span)
    {
        for (int len = span; 2 * len < row.Length; len++)
            for (int s = 1; s + 2 * len <= row.Length; s++)
                if (row.Slice(s, len).SequenceEqual(row.Slice(s + len, len)))
                    return true;
        return false;
    }

    [Fact]
    public void LanguageWorld_HasTheAdvertisedFacts_HeldOutPairs_AndSingleTokenAnswers()
    {
        var world = LanguageWorld.Default;
        var tok = world.Tokenizer;
        Assert.Equal(LanguageWorld.EntityCount * 4, world.Facts.Count);
        Assert.Equal(world.Entities.Count, world.Entities.Distinct().Count());
        Assert.All(world.Entities, e => Assert.Single(tok.EncodeToIds(e)));
        Assert.All(world.Facts, f => Assert.NotNull(tok.TokenToId(f.Answer)));
        Assert.Equal(780, world.HeldOutPairs.Count + world.TrainingPairs.Count);
        Assert.Empty(world.HeldOutPairs.Intersect(world.TrainingPairs));
        Assert.All(world.HeldOutPairs, p => Assert.True(world.IsHeldOut(p.B, p.A)));
        // Every name still occurs in training pairs: held-out means new combinations, not new names.
        Assert.All(world.Names, n => Assert.Contains(world.TrainingPairs, p => p.A == n || p.B == n));

        var r = new SeededRandom(4);
        for (int i = 0; i < 300; i++)
        {
            var p = world.RandomIoiPrompt(r, heldOut: false);
            Assert.NotEqual(p.Answer, p.Distractor);
            var ids = tok.EncodeToIds(p.Text);
            Assert.DoesNotContain(tok.UnknownId, ids);
            Assert.Equal(2, ids.Count(id => id == tok.Id(p.Distractor!)));  // S appears twice
            Assert.Equal(1, ids.Count(id => id == tok.Id(p.Answer)));        // IO once
        }
        // Both name orders occur (ABBA and ABAB patterns).
        var orders = Enumerable.Range(0, 200).Select(_ => world.RandomIoiPrompt(r, heldOut: true))
            .Select(p => p.Text.IndexOf(p.Answer, StringComparison.Ordinal) < p.Text.IndexOf(p.Distractor!, StringComparison.Ordinal)).Distinct().Count();
        Assert.Equal(2, orders);
    }

    [Fact]
    public void GreaterThanSentences_EndAfterTheStartYear()
    {
        var world = LanguageWorld.Default;
        var tok = world.Tokenizer;
        var g = world.RandomGreaterThanPrompt(new SeededRandom(3));
        var ids = tok.EncodeToIds(g.Text);
        Assert.Equal(tok.Id(g.StartYear.ToString("D2")), ids[^5]);  // ... CC YY to the year CC
        var r = new SeededRandom(9);
        int checkedCount = 0;
        for (int i = 0; i < 2000; i++)
        {
            string s = world.RandomSentence(r);
            if (!s.Contains("lasted", StringComparison.Ordinal))
                continue;
            var parts = s.TrimEnd('.').Split(' ');
            int start = int.Parse(parts[^5][2..]), end = int.Parse(parts[^1][2..]);
            Assert.Equal(parts[^5][..2], parts[^1][..2]);
            Assert.True(end > start, s);
            checkedCount++;
        }
        Assert.InRange(checkedCount, 300, 500);
    }

    [Fact]
    public void WordLevelTokenizer_SplitsWordsDigitPairsAndPunctuation_AndRoundTrips()
    {
        var tok = LanguageWorld.Default.Tokenizer;
        string text = "The war lasted from the year 1732 to the year 1789.";
        var pieces = tok.EncodeToTokens(text, out _).Select(t => t.Value).ToArray();
        Assert.Equal(new[] { "The", "war", "lasted", "from", "the", "year", "17", "32", "to", "the", "year", "17", "89", "." }, pieces);
        Assert.Equal(text, tok.Decode(tok.EncodeToIds(text)));
        string ioi = "When Mary and John went to the store, John gave a drink to Mary.";
        Assert.Equal(ioi, tok.Decode(tok.EncodeToIds(ioi)));
        Assert.Equal(new[] { tok.Id("<|endoftext|>"), tok.Id("Mary") }, tok.EncodeToIds("<|endoftext|>Mary"));
        Assert.Equal(tok.UnknownId, Assert.Single(tok.EncodeToIds("Xylophone")));
        Assert.Equal(3, tok.CountTokens("Mary likes cats"));

        using var stream = new MemoryStream();
        tok.Save(stream);
        stream.Position = 0;
        var back = WordLevelTokenizer.FromStream(stream);
        Assert.Equal(tok.Tokens, back.Tokens);
        Assert.Equal(tok.SpecialTokens, back.SpecialTokens);
        Assert.Equal(tok.Pattern, back.Pattern);
        Assert.Equal(tok.EncodeToIds(ioi), back.EncodeToIds(ioi));
        Assert.Throws<FormatException>(() => WordLevelTokenizer.FromStream(new MemoryStream("""{"model": {"type": "BPE"}}"""u8.ToArray())));
        Assert.Throws<FormatException>(() => WordLevelTokenizer.FromStream(new MemoryStream("""{"model": {"type": "WordLevel", "vocab": {"a": 0, "<unk>": 2}}}"""u8.ToArray())));
    }
}
