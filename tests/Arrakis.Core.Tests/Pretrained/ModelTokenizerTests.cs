using Arrakis.Checkpoints;
using Arrakis.Tests.Tokenizers;
using Arrakis.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Pretrained;

/// <summary>The tokenizer a folder carries: loaded with the model, forwarded by the TransformerLens helpers, saved back.</summary>
public class ModelTokenizerTests
{
    /// <summary>The GPT-2 fixture with GPT-2's real tokenizer files next to it.</summary>
    private static string Gpt2WithTokenizer(TempDirectory dir)
    {
        HfFixtures.Gpt2().Write(dir.Path);
        File.Copy(TestFiles.Gpt2Vocab, dir.File("vocab.json"));
        File.Copy(TestFiles.Gpt2Merges, dir.File("merges.txt"));
        return dir.Path;
    }

    [Fact]
    public void Helpers_ForwardToTheFoldersTokenizer()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = HookedTransformer.FromPretrained(Gpt2WithTokenizer(dir));
        Assert.NotNull(model.Tokenizer);

        var tokens = model.ToTokens("Hello world");
        Assert.Equal(new long[] { 50256, 15496, 995 }, tokens[0].data<long>().ToArray());
        Assert.Equal(new long[] { 1, 3 }, tokens.shape);
        Assert.Equal(["<|endoftext|>", "Hello", " world"], model.ToStrTokens("Hello world"));
        Assert.Equal(["Hello", " world"], model.ToStrTokens("Hello world", prependBos: false));
        Assert.Equal("<|endoftext|>Hello world", model.ToString(tokens));
        Assert.Equal(995, model.ToSingleToken(" world"));
        Assert.Equal(2, model.GetTokenPosition(" world", "Hello world"));
        Assert.Equal(1, model.GetTokenPosition(15496, tokens));
        Assert.Throws<ArgumentException>(() => model.ToSingleToken("Hello world"));

        using var batch = model.ToTokenBatch(["Hello world", "Hi"], paddingSide: PaddingSide.Left);
        Assert.Equal(new long[] { 0, 1, 1 }, batch.AttentionMask[1].data<long>().ToArray());
    }

    [Fact]
    public void ToTokens_TruncatesToTheContextLength()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = HookedTransformer.FromPretrained(Gpt2WithTokenizer(dir));
        string text = string.Join(" ", Enumerable.Repeat("word", 40));
        Assert.Equal(model.Cfg.NCtx, model.ToTokens(text).shape[1]);
        Assert.Equal(41, model.ToTokens(text, truncate: false).shape[1]);
    }

    [Fact]
    public void ModelWithoutTokenizer_SaysSo()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = HookedTransformer.FromPretrained(Gpt2WithTokenizer(dir), new PretrainedOptions { LoadTokenizer = false });
        Assert.Null(model.Tokenizer);
        var error = Assert.Throws<InvalidOperationException>(() => model.ToTokens("Hello"));
        Assert.Equal("This model has no tokenizer: it was built from a configuration, or its folder had no tokenizer files " +
                     "(tokenizer.json, tokenizer.model, or vocab.json with merges.txt). Set model.Tokenizer = TokenizerLoader.FromFolder(folder).",
            error.Message);
        Assert.Throws<InvalidOperationException>(() => model.ToStrTokens("Hello"));
        Assert.Throws<InvalidOperationException>(() => model.ToSingleToken("Hello"));
    }

    [Fact]
    public void SavePretrained_CopiesTheTokenizerFiles_AndTheirIds()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        string saved = dir.File("saved");
        Directory.CreateDirectory(dir.File("source"));
        HfFixtures.Gpt2().Write(dir.File("source"));
        File.Copy(TestFiles.Gpt2Vocab, Path.Combine(dir.File("source"), "vocab.json"));
        File.Copy(TestFiles.Gpt2Merges, Path.Combine(dir.File("source"), "merges.txt"));
        using (var model = HookedTransformer.FromPretrained(dir.File("source"), new PretrainedOptions { ProcessWeights = ProcessWeightsOptions.None }))
            model.SavePretrained(saved);

        Assert.Equal(File.ReadAllBytes(TestFiles.Gpt2Merges), File.ReadAllBytes(Path.Combine(saved, "merges.txt")));
        using (var folder = CheckpointFolder.Open(saved))
            Assert.Equal(50256, folder.Config!.Value.GetProperty("bos_token_id").GetInt32());
        using var reloaded = HookedTransformer.FromPretrained(saved);
        Assert.Equal(new long[] { 50256, 15496, 995 }, reloaded.ToTokens("Hello world")[0].data<long>().ToArray());
    }

    [Fact]
    public void SentencePieceTokenizer_IsLoadedForLlamaStyleFolders()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        HfFixtures.Llama().Write(dir.Path);
        File.Copy(TestFiles.SentencePieceModel, dir.File("tokenizer.model"));
        using var model = HookedTransformer.FromPretrained(dir.Path);
        Assert.Equal(TokenizerKind.SentencePiece, model.Tokenizer!.Kind);
        Assert.Equal(model.Tokenizer.BosTokenId, (int)model.ToTokens("hello")[0, 0].item<long>());
    }
}
