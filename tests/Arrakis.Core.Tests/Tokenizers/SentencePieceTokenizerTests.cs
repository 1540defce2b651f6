using System.Text.Json;
using Arrakis.Tokenizers;

namespace Arrakis.Tests.Tokenizers;

public class SentencePieceTokenizerTests
{
    private static readonly Lazy<ArrakisTokenizer> Shared = new(() => TokenizerLoader.FromSentencePiece(TestFiles.SentencePieceModel));
    private static ArrakisTokenizer Llama => Shared.Value;

    /// <summary>
    /// Texts where Microsoft.ML.Tokenizers 2.0.1 breaks a tie differently from google/sentencepiece: a run of one
    /// repeated symbol ("fff", "+++", spaces) whose equal-scored pairs sentencepiece merges leftmost first and
    /// Microsoft.ML.Tokenizers rightmost first ("ff"+"f" against "f"+"ff"). Same text, same token count, other ids.
    /// </summary>
    private static readonly HashSet<string> KnownTieBreakDifferences =
    [
        "many      spaces", "0x7fff", "---===+++",
        "  \u00e9\u0301\t\u0441\u0301\u4e86\u0430\t \u00e9  Y\u0301\u03b3",
    ];

    [Fact]
    public void SpecialIds_ComeFromTheModel()
    {
        Assert.Equal(TokenizerKind.SentencePiece, Llama.Kind);
        Assert.Equal(1, Llama.BosTokenId);
        Assert.Equal(2, Llama.EosTokenId);
        Assert.Null(Llama.PadTokenId);
        Assert.Equal(2, Llama.EffectivePadTokenId);
        Assert.Equal(1000, Llama.VocabSize);
        Assert.Equal("<s>", Llama.IdToToken(1));
    }

    [Fact]
    public void ReferenceStrings_GetSentencepiecesIds_ExceptKnownTieBreaks()
    {
        var reference = TestFiles.Reference(TestFiles.SentencePiece);
        Assert.True(reference.Count >= 150, $"only {reference.Count} reference strings");
        var wrong = new List<string>();
        int tieBreaks = 0;
        foreach (var (text, ids) in reference)
        {
            var got = Llama.Encode(text);
            if (KnownTieBreakDifferences.Contains(text))
            {
                tieBreaks++;
                Assert.Equal(ids.Length, got.Count);
                Assert.Equal(Llama.Decode(ids), Llama.Decode(got));
                continue;
            }
            if (!got.SequenceEqual(ids))
                wrong.Add($"{JsonSerializer.Serialize(text)}: expected [{string.Join(",", ids)}], got [{string.Join(",", got)}]");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.Equal(KnownTieBreakDifferences.Count, tieBreaks);
    }

    [Fact]
    public void EveryGpt2ReferenceString_RoundTrips_ThroughByteFallback()
    {
        foreach (var (text, _) in TestFiles.Reference(TestFiles.Gpt2))
            Assert.Equal(text, Llama.Decode(Llama.Encode(text)));
    }

    [Fact]
    public void ToTokens_PrependsTheModelsBos()
    {
        using var batch = Llama.ToTokens("Hello world");
        var ids = batch.Tokens[0].data<long>().ToArray();
        Assert.Equal(1, ids[0]);
        Assert.Equal(Llama.Encode("Hello world").Select(i => (long)i), ids.Skip(1));
        Assert.Equal("<s>", Llama.ToStrTokens("Hello world")[0]);
    }
}
