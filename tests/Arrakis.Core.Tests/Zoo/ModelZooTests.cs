using Arrakis.Training;
using Arrakis.Zoo;

namespace Arrakis.Tests.Zoo;

public class ModelZooTests
{
    [Fact]
    public void TheZoo_ShipsItsThreeModels_WithCardsAndTokenizers()
    {
        Assert.Equal(new[] { "attn-only-1l", "attn-only-2l", "gpt2-mini-language" }, EmbeddedModelZoo.Names);
        long total = 0;
        foreach (string name in EmbeddedModelZoo.Names)
        {
            string folder = EmbeddedModelZoo.GetFolder(name);
            foreach (string file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md" })
                Assert.True(File.Exists(Path.Combine(folder, file)), $"{name}: {file} missing");
            total += Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length);
            string card = EmbeddedModelZoo.ModelCard(name);
            foreach (string section in new[] { "## Architecture", "## Training", "| steps |", "| seed |", "| training time |", "held-out loss", "## Circuits found" })
                Assert.Contains(section, card);
        }
        Assert.True(total < 8_000_000, $"the zoo holds {total:N0} bytes");
    }

    [Fact]
    public void FromPretrained_LoadsZooModelsByName_WithTheirTokenizer()
    {
        Assert.Contains("attn-only-2l", ModelZoo.KnownNames);
        using var two = HookedTransformer.FromPretrained("attn-only-2l");
        Assert.Equal("attn-only-2l", two.Cfg.ModelName);
        Assert.Equal(2, two.Cfg.NLayers);
        Assert.True(two.Cfg.AttnOnly);
        Assert.Equal(PositionalEmbeddingType.Learned, two.Cfg.PositionalEmbedding);
        Assert.NotNull(two.Tokenizer);
        Assert.Equal(two.Cfg.DVocab, two.Tokenizer!.VocabSize);
        using var one = HookedTransformer.FromPretrained("attn-only-1l");
        Assert.Equal(1, one.Cfg.NLayers);
        using var language = HookedTransformer.FromPretrained("gpt2-mini-language", new PretrainedOptions { ProcessWeights = ProcessWeightsOptions.None });
        Assert.False(language.Cfg.AttnOnly);
        Assert.Equal(NormalizationType.LayerNorm, language.Cfg.Normalization);
        Assert.Equal(4, language.Cfg.NLayers);
        var tokens = language.ToTokens("Mary likes the big cat.");
        Assert.Equal(new long[] { 1, 7 }, tokens.shape);  // BOS + 6 words
        Assert.Equal("<|endoftext|>Mary likes the big cat.", language.Tokenizer!.ToString(tokens));  // specials decode verbatim, as for GPT-2
    }

    [Fact]
    public void Names_AreCaseInsensitive_AndUnknownNamesListTheShippedOnes()
    {
        Assert.True(EmbeddedModelZoo.Contains("ATTN-ONLY-2L"));
        Assert.True(EmbeddedModelZoo.Contains("arrakis/attn-only-2l"));
        Assert.False(EmbeddedModelZoo.Contains("gpt2"));
        Assert.Null(EmbeddedModelZoo.Instance.Resolve("attn-only-3l"));
        var ex = Assert.Throws<ArgumentException>(() => EmbeddedModelZoo.GetFolder("attn-only-3l"));
        Assert.Contains("attn-only-2l", ex.Message);
        Assert.Contains("gpt2-mini-language", ex.Message);
        var missing = Assert.Throws<DirectoryNotFoundException>(() => HookedTransformer.FromPretrained("attn-only-3l"));
        Assert.Contains("gpt2-mini-language", missing.Message);
        // The folder is extracted once and reused.
        Assert.Equal(EmbeddedModelZoo.GetFolder("attn-only-2l"), EmbeddedModelZoo.GetFolder("Attn-Only-2L"));
    }
}
