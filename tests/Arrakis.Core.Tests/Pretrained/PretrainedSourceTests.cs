using static TorchSharp.torch;

namespace Arrakis.Tests.Pretrained;

/// <summary>How a name becomes a folder: registered sources first (the model zoo's hook), then an existing folder; never a download.
/// One class, so that its tests, which change the global registry, never run in parallel with each other.</summary>
public class PretrainedSourceTests
{
    private sealed class OneModel(string name, string folder) : IPretrainedModelSource
    {
        public string? Resolve(string requested) => requested == name ? folder : null;
        public IEnumerable<string> Names => [name];
    }

    [Fact]
    public void RegisteredSource_IsAskedFirst_AndNamesTheModel()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using (var model = Arrakis.Tests.Model.TestModels.Create("attn-only"))
            model.SavePretrained(dir.File("zoo-model"));
        using (ModelZoo.Register(new OneModel("tiny-test-zoo-model", dir.File("zoo-model"))))
        {
            Assert.Contains("tiny-test-zoo-model", ModelZoo.KnownNames);
            using var loaded = HookedTransformer.FromPretrained("tiny-test-zoo-model");
            Assert.Equal("tiny-test-zoo-model", loaded.Cfg.ModelName);
        }
        Assert.DoesNotContain("tiny-test-zoo-model", ModelZoo.KnownNames);
        Assert.Throws<DirectoryNotFoundException>(() => HookedTransformer.FromPretrained("tiny-test-zoo-model"));
    }

    [Fact]
    public void UnknownName_IsNeverDownloaded()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => HookedTransformer.FromPretrained("openai-community/gpt2-not-here"));
        Assert.StartsWith("'openai-community/gpt2-not-here' is neither a model folder nor a registered model name", error.Message);
        Assert.EndsWith("Arrakis never downloads: fetch the model first (e.g. `huggingface-cli download <repo> --local-dir <folder>`, " +
                        "safetensors weights) and pass the folder.", error.Message);
    }
}
