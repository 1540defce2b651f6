using Arrakis.Training;
using Arrakis.Zoo;

namespace Arrakis.Tests.Zoo;

public class ModelZooTests
{
    [Fact]
    public void TheZoo_ShipsItsThreeModels_WithCardsAndTokenizers()
    {
        Assert.Equal(new[] { "attn-only-1l", "attn-only-2l", "gpt2-mini-language" }, ModelZoo.Names);
        long total = 0;
        foreach (string name in ModelZoo.Names)
        {
            string folder = ModelZoo.GetFolder(name);
            foreach (string file in new[] { ModelFolder.ConfigFileName, ModelFolder.TokenizerFileName, ModelFolder.TokenizerConfigFileName, ModelCard.FileName })
                Assert.True(File.Exists(Path.Combine(folder, file)), $"{name}: {file} missing");
            total += Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length);
            var cfg = ModelFolder.ReadConfig(folder);
            Assert.Equal(name, cfg.ModelName);
            Assert.Equal(cfg.DVocab, ModelZoo.LoadTokenizer(name).VocabSize);
            string card = ModelZoo.ModelCard(name);
            foreach (string section in new[] { "## Architecture", "## Training", "| steps |", "| seed |", "| training time |", "held-out loss", "## Circuits found" })
                Assert.Contains(section, card);
        }
        Assert.True(total < 8_000_000, $"the zoo holds {total:N0} bytes");
    }

    [Fact]
    public void Names_AreCaseInsensitive_AndUnknownNamesListTheShippedOnes()
    {
        Assert.True(ModelZoo.Contains("ATTN-ONLY-2L"));
        Assert.True(ModelZoo.Contains("arrakis/attn-only-2l"));
        Assert.False(ModelZoo.Contains("gpt2"));
        var ex = Assert.Throws<ArgumentException>(() => ModelZoo.GetFolder("attn-only-3l"));
        Assert.Contains("attn-only-2l", ex.Message);
        Assert.Contains("gpt2-mini-language", ex.Message);
    }

    [Fact]
    public void LoadingByName_GivesTheArchitectureTheCardDescribes()
    {
        using var two = ModelZoo.Load("attn-only-2l");
        Assert.Equal(2, two.Cfg.NLayers);
        Assert.True(two.Cfg.AttnOnly);
        Assert.Equal(PositionalEmbeddingType.Learned, two.Cfg.PositionalEmbedding);
        using var one = ModelZoo.Load("attn-only-1l");
        Assert.Equal(1, one.Cfg.NLayers);
        using var language = ModelZoo.Load("gpt2-mini-language");
        Assert.False(language.Cfg.AttnOnly);
        Assert.Equal(NormalizationType.LayerNorm, language.Cfg.Normalization);
        Assert.Equal(4, language.Cfg.NLayers);
        // The folder is extracted once and reused.
        Assert.Equal(ModelZoo.GetFolder("attn-only-2l"), ModelZoo.GetFolder("Attn-Only-2L"));
    }
}
