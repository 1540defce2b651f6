using Arrakis.Checkpoints;
using Arrakis.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Pretrained;

public class SavePretrainedTests
{
    public static IEnumerable<object[]> Families => FamilyModels.Families.Select(f => new object[] { f });

    private static PretrainedOptions Raw => new() { ProcessWeights = ProcessWeightsOptions.None };

    [Theory]
    [MemberData(nameof(Families))]
    public void HuggingFaceLayout_RoundTripsLosslessly(string family)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        string first = Path.Combine(dir.Path, "first"), second = Path.Combine(dir.Path, "second");
        using var model = FamilyModels.Create(family);
        model.SavePretrained(first);

        using (var written = CheckpointFolder.Open(first))
            Assert.Equal(FamilyModels.ModelType[family], written.Config!.Value.GetProperty("model_type").GetString());
        using var loaded = HookedTransformer.FromPretrained(first, Raw);
        Assert.Empty(ArchitectureComparison.Differences(model.Cfg, loaded.Cfg));

        var tokens = FamilyModels.Tokens();
        using var noGrad = no_grad();
        double error = (loaded.Forward(tokens) - model.Forward(tokens)).abs().max().item<float>();
        Assert.True(error <= 1e-6, $"{family}: max |Δ logits| = {error}");

        var originals = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in loaded.named_parameters())
        {
            // Gemma stores norm weights as w − 1 and reads them back as 1 + w: within one float32 rounding.
            double tolerance = family == "gemma" && name.EndsWith(".w", StringComparison.Ordinal) ? 1e-6 : 0;
            double difference = (p - originals[name]).abs().max().item<float>();
            Assert.True(difference <= tolerance, $"{family}: '{name}' changed by {difference}");
        }

        if (family != "gemma")
        {
            loaded.SavePretrained(second);
            Assert.Equal(File.ReadAllBytes(Path.Combine(first, "model.safetensors")), File.ReadAllBytes(Path.Combine(second, "model.safetensors")));
        }
    }

    [Fact]
    public void WeightsDtype_StoresFloatingWeightsRounded_AndLoadingConvertsBack()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = FamilyModels.Create("gpt2");
        string full = Path.Combine(dir.Path, "full"), half = Path.Combine(dir.Path, "half");
        model.SavePretrained(full);
        model.SavePretrained(half, options: new SavePretrainedOptions { WeightsDtype = ScalarType.Float16 });

        using (var file = SafetensorsFile.Open(Path.Combine(half, "model.safetensors")))
            Assert.All(file.Tensors, t => Assert.Equal(SafetensorsDtype.F16, t.Dtype));
        Assert.Equal(File.ReadAllText(Path.Combine(full, "config.json")), File.ReadAllText(Path.Combine(half, "config.json")));
        long fullBytes = new FileInfo(Path.Combine(full, "model.safetensors")).Length, halfBytes = new FileInfo(Path.Combine(half, "model.safetensors")).Length;
        Assert.True(halfBytes < 0.55 * fullBytes, $"{halfBytes} vs {fullBytes} bytes");

        using var loaded = HookedTransformer.FromPretrained(half, Raw);
        var originals = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in loaded.named_parameters())
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.True(p.eq(originals[name].to_type(ScalarType.Float16).to_type(ScalarType.Float32)).all().item<bool>(), $"'{name}' is not the float16 rounding of the original");
        }
    }

    [Fact]
    public void WeightsDtype_ThatIsNotFloatingPoint_IsRefused()
    {
        using var dir = new TempDirectory();
        using var model = FamilyModels.Create("gpt2");
        var e = Assert.Throws<ArgumentException>(() => model.SavePretrained(dir.Path, options: new SavePretrainedOptions { WeightsDtype = ScalarType.Int32 }));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("Int32", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void UntiedUnembedding_IsWrittenAsLmHead()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = FamilyModels.Create("gpt2");
        using (no_grad())
            model.unembed.W_U.add_(0.01);
        model.SavePretrained(dir.Path);
        using (var written = CheckpointFolder.Open(dir.Path))
        {
            Assert.False(written.Config!.Value.GetProperty("tie_word_embeddings").GetBoolean());
            Assert.True(written.Contains("lm_head.weight"));
        }
        using var loaded = HookedTransformer.FromPretrained(dir.Path, Raw);
        Assert.True(loaded.unembed.W_U.eq(model.unembed.W_U).all().item<bool>());
    }

    [Fact]
    public void NativeLayout_HoldsProcessedWeights()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = FamilyModels.Create("gpt2");
        model.ProcessWeights();
        model.SavePretrained(dir.Path, HookedTransformer.NativeFamily);

        using (var written = CheckpointFolder.Open(dir.Path))
        {
            Assert.Equal("arrakis", written.Config!.Value.GetProperty("model_type").GetString());
            Assert.Contains("blocks.0.attn.W_Q", written.TensorNames);
            Assert.DoesNotContain("blocks.0.ln1.w", written.TensorNames);
        }
        using var loaded = HookedTransformer.FromPretrained(dir.Path, Raw);
        Assert.Equal(model.Cfg, loaded.Cfg);
        var tokens = FamilyModels.Tokens();
        using var noGrad = no_grad();
        Assert.True(loaded.Forward(tokens).eq(model.Forward(tokens)).all().item<bool>());

        // Loading with the default processing leaves already processed weights as they are.
        using var again = HookedTransformer.FromPretrained(dir.Path);
        Assert.True((again.Forward(tokens) - model.Forward(tokens)).abs().max().item<float>() <= 1e-6);
    }

    [Fact]
    public void NativeLayout_IsTheDefaultForModelsOfNoFamily()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = Arrakis.Tests.Model.TestModels.Create("attn-only");
        model.SavePretrained(dir.Path);
        using var loaded = HookedTransformer.FromPretrained(dir.Path, Raw);
        Assert.Equal("attn-only", loaded.Cfg.ModelName);
        var tokens = Arrakis.Tests.Model.TestModels.Tokens(2, 7);
        using var noGrad = no_grad();
        Assert.True(loaded.Forward(tokens).eq(model.Forward(tokens)).all().item<bool>());
    }

    [Fact]
    public void ProcessedModel_IsRefusedByItsHuggingFaceLayout()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = FamilyModels.Create("gpt2");
        model.ProcessWeights();
        var error = Assert.Throws<InvalidOperationException>(() => model.SavePretrained(dir.File("out")));
        Assert.Equal(
            "Cannot save this model in the gpt2 layout, which cannot express it: normalization_type: the model has LayerNormPre, " +
            "the layout gives LayerNorm. Its weights were processed (fold_ln folded the norm weights away). " +
            "Save it in Arrakis's native layout instead (family \"arrakis\").", error.Message);
        Assert.False(Directory.Exists(dir.File("out")));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void NonZeroBiasTheFamilyLacks_IsRefused()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = FamilyModels.Create("mistral");
        using (no_grad())
            model.blocks[1].attn.b_O.fill_(0.5);
        var error = Assert.Throws<InvalidOperationException>(() => model.SavePretrained(dir.File("out")));
        Assert.Equal(
            "Cannot save this model in the mistral layout: its parameter 'blocks.1.attn.b_O' is not zero, and mistral checkpoints " +
            "have no tensor for it. Save it in Arrakis's native layout instead (family \"arrakis\").", error.Message);
    }

    [Fact]
    public void ArchitectureAFamilyCannotExpress_IsRefusedNamingTheField()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = FamilyModels.Create("llama");
        var error = Assert.Throws<InvalidOperationException>(() => model.SavePretrained(dir.File("out"), "gpt2"));
        Assert.StartsWith("Cannot save this model in the gpt2 layout, which cannot express it:", error.Message);
        Assert.Contains("positional_embedding_type: the model has Rotary, the layout gives Learned", error.Message);
        using var attnOnly = Arrakis.Tests.Model.TestModels.Create("attn-only");
        error = Assert.Throws<InvalidOperationException>(() => attnOnly.SavePretrained(dir.File("out"), "gpt2"));
        Assert.Equal(
            "Cannot save this model in the gpt2 layout, which cannot express it: attn_only: the model has True, the layout gives False. " +
            "Save it in Arrakis's native layout instead (family \"arrakis\").", error.Message);
    }

    [Fact]
    public void FamilyNames_AcceptBothSpellings_AndUnknownOnesAreListed()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = FamilyModels.Create("gpt-neox");
        model.SavePretrained(dir.File("a"), "GPT_NEOX");
        model.SavePretrained(dir.File("b"), "pythia");
        var error = Assert.Throws<ArgumentException>(() => model.SavePretrained(dir.File("c"), "bert"));
        Assert.StartsWith("Unknown family 'bert'; supported: gpt2, gpt_neo, gpt_neox, llama, mistral, qwen2, gemma, phi3, stablelm, arrakis (Arrakis's native layout).", error.Message);
    }

    [Fact]
    public void ExistingFolder_IsRefusedUnlessOverwriting_AndThenReplacedWhole()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        string target = dir.File("model");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "stale.txt"), "old");
        using var model = FamilyModels.Create("llama");
        var error = Assert.Throws<IOException>(() => model.SavePretrained(target));
        Assert.Equal($"{target} already exists and is not empty; set SavePretrainedOptions.Overwrite to replace it.", error.Message);

        model.SavePretrained(target, options: new SavePretrainedOptions { Overwrite = true });
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(target).Select(Path.GetFileName).Order());
        Assert.Equal(["model"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void LargeModels_AreSharded_AndReadBack()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = FamilyModels.Create("phi3");
        model.SavePretrained(dir.Path, options: new SavePretrainedOptions { Overwrite = true, MaxShardBytes = 4096 });
        Assert.True(File.Exists(dir.File("model.safetensors.index.json")));
        Assert.True(Directory.GetFiles(dir.Path, "model-*-of-*.safetensors").Length > 2);
        using var loaded = HookedTransformer.FromPretrained(dir.Path, Raw);
        var tokens = FamilyModels.Tokens();
        using var noGrad = no_grad();
        Assert.True(loaded.Forward(tokens).eq(model.Forward(tokens)).all().item<bool>());
    }

    [Fact]
    public void HalfPrecisionModels_KeepTheirDtype()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        using var model = new HookedTransformer(FamilyModels.Config("llama") with { Dtype = ScalarType.BFloat16 });
        model.SavePretrained(dir.Path, options: new SavePretrainedOptions { Overwrite = true });
        using (var written = CheckpointFolder.Open(dir.Path))
        {
            Assert.Equal(SafetensorsDtype.BF16, written.GetInfo("model.embed_tokens.weight").Dtype);
            Assert.Equal("bfloat16", written.Config!.Value.GetProperty("torch_dtype").GetString());
        }
        using var loaded = HookedTransformer.FromPretrained(dir.Path, Raw with { Dtype = ScalarType.BFloat16 });
        Assert.True(loaded.embed.W_E.eq(model.embed.W_E).all().item<bool>());
    }
}
