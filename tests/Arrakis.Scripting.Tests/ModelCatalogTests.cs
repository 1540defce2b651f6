using Arrakis.Scripting.Models;
using TorchSharp;

namespace Arrakis.Scripting.Tests;

public sealed class ModelCatalogTests
{
    [Fact]
    public void AModelFolder_LoadsThroughFromPretrained()
    {
        using var dir = new TempFolder();
        string folder = dir.File("my-model");
        using (var model = HandBuiltInduction.Create()) model.SavePretrained(folder);
        var source = ModelCatalog.Resolve(folder, DeviceChoice.Cpu);
        Assert.Equal("my-model", source.Name);
        using var loaded = source.Load();
        using var original = HandBuiltInduction.Create();
        using var tokens = torch.tensor(new long[] { 1, 2, 3, 1, 2, 3 }).unsqueeze(0);
        // FromPretrained processes the weights as TransformerLens does (centred unembedding): compare log-probabilities.
        using var a = original.Forward(tokens).log_softmax(-1);
        using var b = loaded.Forward(tokens).log_softmax(-1);
        Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void UnknownNames_AndFiles_AreRefusedWithTheKnownNames()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelCatalog.Resolve("attn-only-9l", DeviceChoice.Cpu));
        Assert.Contains("Known models: hand-built-induction, random-gpt2", e.Message);
        using var dir = new TempFolder();
        var file = Assert.Throws<ArgumentException>(() => ModelCatalog.Resolve(dir.File("x.bin", "not a model"), DeviceChoice.Cpu));
        Assert.Contains("is a file", file.Message);
    }

    [Fact]
    public void TheDefault_IsTheStandIn_AndEveryBuiltInNameLoads()
    {
        Assert.Equal(ModelCatalog.DefaultModel, ModelCatalog.Resolve(null, DeviceChoice.Cpu).Name);
        Assert.Contains(ModelCatalog.DefaultModel, new[] { ModelCatalog.PreferredDefault, HandBuiltInduction.Name });
        foreach (var name in new[] { "hand-built-induction", "random-gpt2", "random-llama" })
        {
            using var model = ModelCatalog.Resolve(name, DeviceChoice.Cpu).Load();
            Assert.True(model.Cfg.NLayers >= 1);
        }
    }
}
