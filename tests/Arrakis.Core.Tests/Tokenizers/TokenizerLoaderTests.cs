using Arrakis.Tokenizers;

namespace Arrakis.Tests.Tokenizers;

public class TokenizerLoaderTests
{
    [Fact]
    public void Folder_WithVocabAndMerges_IsGpt2()
    {
        using var dir = new TempDirectory();
        File.Copy(TestFiles.Gpt2Vocab, dir.File("vocab.json"));
        File.Copy(TestFiles.Gpt2Merges, dir.File("merges.txt"));
        var tok = TokenizerLoader.FromFolder(dir.Path);
        Assert.Equal(TokenizerKind.Gpt2Bpe, tok.Kind);
        Assert.Equal([15496, 995], tok.Encode("Hello world"));
    }

    [Fact]
    public void Folder_WithTokenizerModel_IsSentencePiece()
    {
        using var dir = new TempDirectory();
        File.Copy(TestFiles.SentencePieceModel, dir.File("tokenizer.model"));
        Assert.Equal(TokenizerKind.SentencePiece, TokenizerLoader.FromFolder(dir.Path).Kind);
    }

    [Fact]
    public void Folder_PrefersByteLevelTokenizerJson()
    {
        using var dir = new TempDirectory();
        Gpt2TokenizerTests.WriteTokenizerJson(dir.File("tokenizer.json"), mergesAsPairs: true, llama3StylePreTokenizer: false);
        File.Copy(TestFiles.SentencePieceModel, dir.File("tokenizer.model"));
        Assert.Equal(TokenizerKind.HuggingFaceBpe, TokenizerLoader.FromFolder(dir.Path).Kind);
    }

    [Fact]
    public void UnsupportedTokenizerJson_FallsBackToTokenizerModel_OrSaysWhy()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), """{"model":{"type":"Unigram","vocab":[]},"pre_tokenizer":null}""");
        var ex = Assert.Throws<NotSupportedException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains("model type 'Unigram' is not supported", ex.Message);

        File.Copy(TestFiles.SentencePieceModel, dir.File("tokenizer.model"));
        Assert.Equal(TokenizerKind.SentencePiece, TokenizerLoader.FromFolder(dir.Path).Kind);
    }

    [Fact]
    public void SentencePieceConvertedToTokenizerJson_IsRefusedWithAdvice()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), """
            {"model":{"type":"BPE","byte_fallback":true,"vocab":{},"merges":[]},
             "pre_tokenizer":{"type":"Metaspace","replacement":"▁"}}
            """);
        var ex = Assert.Throws<NotSupportedException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains("tokenizer.model", ex.Message);
    }

    [Fact]
    public void EmptyFolder_ListsWhatItLookedFor()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("README.md"), "nothing here");
        var ex = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Contains("tokenizer.json", ex.Message);
        Assert.Contains("README.md", ex.Message);
    }

    [Fact]
    public void SpecialTokens_ComeFromTokenizerConfigAndConfig()
    {
        using var dir = new TempDirectory();
        File.Copy(TestFiles.Gpt2Vocab, dir.File("vocab.json"));
        File.Copy(TestFiles.Gpt2Merges, dir.File("merges.txt"));
        // AddedToken objects as in tokenizer_config.json; a pad token that is an ordinary vocabulary entry.
        File.WriteAllText(dir.File("tokenizer_config.json"), """
            {"bos_token": {"content": "<|endoftext|>", "special": true}, "pad_token": "!"}
            """);
        File.WriteAllText(dir.File("config.json"), """{"eos_token_id": [50256, 0]}""");
        var tok = TokenizerLoader.FromFolder(dir.Path);
        Assert.Equal(50256, tok.BosTokenId);
        Assert.Equal(50256, tok.EosTokenId);
        Assert.Equal(0, tok.PadTokenId);
        using var batch = tok.ToTokens(["Hello world", "Hi"]);
        Assert.Equal(0, batch.Tokens[1, 2].item<long>());
    }

    [Fact]
    public void MalformedTokenizerJson_IsAFormatException()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), "{\"model\": ");
        Assert.Throws<FormatException>(() => TokenizerLoader.FromFolder(dir.Path));
    }
}
