using System.Text.Json;
using Arrakis.Tokenizers;

namespace Arrakis.Tests.Tokenizers;

public class Gpt2TokenizerTests
{
    private static readonly Lazy<ArrakisTokenizer> Shared = new(() => TokenizerLoader.FromVocabAndMerges(TestFiles.Gpt2Vocab, TestFiles.Gpt2Merges));
    internal static ArrakisTokenizer Gpt2 => Shared.Value;

    [Fact]
    public void HelloWorld_IsTheKnownIds()
    {
        Assert.Equal([15496, 995], Gpt2.Encode("Hello world"));
        Assert.Equal(TokenizerKind.Gpt2Bpe, Gpt2.Kind);
        Assert.Equal(50257, Gpt2.VocabSize);
        Assert.Equal(50256, Gpt2.BosTokenId);
        Assert.Equal(50256, Gpt2.EosTokenId);
        Assert.Equal(50256, Gpt2.EffectivePadTokenId);
    }

    [Fact]
    public void EveryReferenceString_GetsTheReferenceEncodersIds_AndRoundTrips()
    {
        var reference = TestFiles.Reference(TestFiles.Gpt2);
        Assert.True(reference.Count >= 300, $"only {reference.Count} reference strings");
        var wrong = new List<string>();
        foreach (var (text, ids) in reference)
        {
            var got = Gpt2.Encode(text);
            if (!got.SequenceEqual(ids))
                wrong.Add($"{JsonSerializer.Serialize(text)}: expected [{string.Join(",", ids)}], got [{string.Join(",", got)}]");
            Assert.Equal(text, Gpt2.Decode(got));
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void SpelledSpecialToken_IsThatToken()
    {
        Assert.Equal([64, 50256, 65], Gpt2.Encode("a<|endoftext|>b"));
        Assert.Equal("a<|endoftext|>b", Gpt2.Decode([64, 50256, 65]));
    }

    [Fact]
    public void IdToToken_ShowsTheByteLevelSpelling()
    {
        Assert.Equal("Ġworld", Gpt2.IdToToken(995));
        Assert.Equal(995, Gpt2.TokenToId("Ġworld"));
        Assert.Null(Gpt2.IdToToken(123456));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gpt2.Decode([123456]));
    }

    /// <summary>GPT-2's real tokenizer.json layout (as written by Hugging Face tokenizers), built from the same vocab and merges.</summary>
    internal static void WriteTokenizerJson(string path, bool mergesAsPairs, bool llama3StylePreTokenizer)
    {
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(TestFiles.Gpt2Vocab))!;
        var merges = File.ReadLines(TestFiles.Gpt2Merges).Where(l => l.Length > 0 && !l.StartsWith("#version")).ToList();
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        w.WriteStartArray("added_tokens");
        w.WriteStartObject();
        w.WriteNumber("id", 50256);
        w.WriteString("content", "<|endoftext|>");
        w.WriteBoolean("single_word", false);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("normalized", true);
        w.WriteBoolean("special", true);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteNull("normalizer");
        w.WritePropertyName("pre_tokenizer");
        if (llama3StylePreTokenizer)
        {
            w.WriteStartObject();
            w.WriteString("type", "Sequence");
            w.WriteStartArray("pretokenizers");
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", TokenizerLoader.Gpt2Pattern);
            w.WriteEndObject();
            w.WriteString("behavior", "Isolated");
            w.WriteBoolean("invert", false);
            w.WriteEndObject();
            WriteByteLevel(w, useRegex: false);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        else
        {
            WriteByteLevel(w, useRegex: true);
        }
        w.WritePropertyName("post_processor");
        WriteByteLevel(w, useRegex: true);
        w.WritePropertyName("decoder");
        WriteByteLevel(w, useRegex: true);
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteString("continuing_subword_prefix", "");
        w.WriteString("end_of_word_suffix", "");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteStartObject("vocab");
        foreach (var (token, id) in vocab.OrderBy(kv => kv.Value))
            w.WriteNumber(token, id);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        foreach (string merge in merges)
        {
            if (!mergesAsPairs)
            {
                w.WriteStringValue(merge);
                continue;
            }
            w.WriteStartArray();
            foreach (string part in merge.Split(' '))
                w.WriteStringValue(part);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter w, bool useRegex)
    {
        w.WriteStartObject();
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", true);
        w.WriteBoolean("use_regex", useRegex);
        w.WriteEndObject();
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void TokenizerJson_FromTheSameVocabAndMerges_GivesIdenticalIds(bool mergesAsPairs, bool llama3Style)
    {
        using var dir = new TempDirectory();
        WriteTokenizerJson(dir.File("tokenizer.json"), mergesAsPairs, llama3Style);
        var json = TokenizerLoader.FromFolder(dir.Path);
        Assert.Equal(TokenizerKind.HuggingFaceBpe, json.Kind);
        Assert.Equal(50256, json.BosTokenId);
        foreach (var (text, ids) in TestFiles.Reference(TestFiles.Gpt2))
            Assert.Equal(ids, json.Encode(text));
        Assert.Equal([64, 50256, 65], json.Encode("a<|endoftext|>b"));
    }
}
