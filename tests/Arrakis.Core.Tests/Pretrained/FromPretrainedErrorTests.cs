using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Pretrained;

/// <summary>What FromPretrained says about checkpoints it cannot load; every message is checked in full.</summary>
public class FromPretrainedErrorTests
{
    private const string Supported = "gpt2, gpt_neo, gpt_neox, llama, mistral, qwen2, gemma, phi3, stablelm, arrakis (Arrakis's native layout)";

    [Fact]
    public void UnknownModelType_ListsTheSupportedOnes()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Gpt2(), editConfig: c => c["model_type"] = "bert");
        var error = Assert.Throws<NotSupportedException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("config.json")}: model_type 'bert' is not supported; supported: {Supported}.", error.Message);
    }

    [Fact]
    public void MissingModelType_ListsTheSupportedOnes()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Gpt2(), editConfig: c => c.Remove("model_type"));
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("config.json")}: 'model_type' is not set; supported: {Supported}", error.Message);
    }

    [Fact]
    public void MissingTensor_IsNamed()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Gpt2(), t => t.Remove("h.1.mlp.c_fc.bias"));
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.Path}: the tensors do not match the gpt2 layout that config.json describes (2 layers): " +
                     "missing 1 tensor: h.1.mlp.c_fc.bias", error.Message);
    }

    [Fact]
    public void ExtraTensor_IsNamed()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Llama(), t => t["model.layers.0.self_attn.q_norm.weight"] = ones(4));
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.Path}: the tensors do not match the llama layout that config.json describes (2 layers): " +
                     "unexpected 1 tensor: model.layers.0.self_attn.q_norm.weight", error.Message);
    }

    [Fact]
    public void LayerCountMismatch_ListsMissingTensors_UpToTen()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.GptNeox(), editConfig: c => c["num_hidden_layers"] = 3);
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.Path}: the tensors do not match the gpt_neox layout that config.json describes (3 layers): missing 12 tensors: " +
                     "gpt_neox.layers.2.input_layernorm.weight, gpt_neox.layers.2.input_layernorm.bias, " +
                     "gpt_neox.layers.2.attention.query_key_value.weight, gpt_neox.layers.2.attention.query_key_value.bias, " +
                     "gpt_neox.layers.2.attention.dense.weight, gpt_neox.layers.2.attention.dense.bias, " +
                     "gpt_neox.layers.2.post_attention_layernorm.weight, gpt_neox.layers.2.post_attention_layernorm.bias, " +
                     "gpt_neox.layers.2.mlp.dense_h_to_4h.weight, gpt_neox.layers.2.mlp.dense_h_to_4h.bias, … and 2 more", error.Message);
    }

    [Fact]
    public void MissingAndExtra_AreBothListed()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Phi3(), t =>
        {
            t["model.layers.1.mlp.up_proj.weight"] = t["model.layers.1.mlp.gate_up_proj.weight"];
            t.Remove("model.layers.1.mlp.gate_up_proj.weight");
        });
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.Path}: the tensors do not match the phi3 layout that config.json describes (2 layers): " +
                     "missing 1 tensor: model.layers.1.mlp.gate_up_proj.weight; unexpected 1 tensor: model.layers.1.mlp.up_proj.weight", error.Message);
    }

    [Fact]
    public void ShapeMismatch_NamesTheTensorAndBothShapes()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Gpt2(), editConfig: c => c["vocab_size"] = 40);
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("model.safetensors")}: tensor 'wte.weight': shape [37, 16] does not match config.json, " +
                     "which implies [40, 16] for the gpt2 layout", error.Message);
        Assert.Equal("wte.weight", error.TensorName);
    }

    [Fact]
    public void FusedShapeMismatch_IsReportedAgainstTheFusedTensor()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Phi3(), editConfig: c => c["num_key_value_heads"] = 4);
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("model.safetensors")}: tensor 'model.layers.0.self_attn.qkv_proj.weight': shape [32, 16] does not match " +
                     "config.json, which implies [48, 16] for the phi3 layout", error.Message);
    }

    [Fact]
    public void IntegerWeights_AreRefused()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Gpt2(), t => t["ln_f.bias"] = zeros(16, dtype: int64));
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("model.safetensors")}: tensor 'ln_f.bias': dtype I64 is not a floating-point type; weights must be F32, F16, BF16 or F64",
            error.Message);
    }

    [Fact]
    public void NoConfig_IsAnError()
    {
        using var dir = new TempDirectory();
        HfFixtures.Gpt2().Write(dir.Path);
        File.Delete(dir.File("config.json"));
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("config.json")}: there is no config.json, so the model's architecture is unknown", error.Message);
    }

    [Fact]
    public void MissingConfigField_IsNamedWithItsAliases()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Gpt2(), editConfig: c => c.Remove("n_embd"));
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("config.json")}: none of 'n_embd', 'hidden_size' is set; one is needed to build the model", error.Message);
    }

    [Fact]
    public void ConfigFieldOfTheWrongType_IsNamedWithItsValue()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Gpt2(), editConfig: c => c["n_layer"] = "two");
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("config.json")}: 'n_layer' is \"two\"; expected an integer", error.Message);
    }

    [Fact]
    public void ConfigDescribingAnInvalidModel_SaysWhy()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Llama(), editConfig: c => c["num_key_value_heads"] = 3);
        var error = Assert.Throws<CheckpointFormatException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("config.json")}: it describes a model Arrakis cannot build: NKeyValueHeads is 3; expected a positive divisor of NHeads (4). (Parameter 'NKeyValueHeads')",
            error.Message);
    }

    [Fact]
    public void RopeScaling_IsNotSupported()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Llama(), editConfig: c => c["rope_scaling"] = System.Text.Json.Nodes.JsonNode.Parse(
            """{"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"}"""));
        var error = Assert.Throws<NotSupportedException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("config.json")}: 'rope_scaling' asks for 'llama3' rotary scaling, which Arrakis does not implement (only unscaled rotary embeddings).",
            error.Message);
    }

    [Fact]
    public void UnsupportedActivation_ListsTheSupportedOnes()
    {
        using var dir = new TempDirectory();
        FixtureFolder.Write(dir.Path, HfFixtures.Mistral(), editConfig: c => c["hidden_act"] = "quick_gelu");
        var error = Assert.Throws<NotSupportedException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Equal($"{dir.File("config.json")}: hidden_act 'quick_gelu' is not supported; supported: gelu_new, gelu_pytorch_tanh, gelu_fast, gelu, relu, silu, swish.",
            error.Message);
    }

    [Fact]
    public void PickleOnlyFolder_SaysHowToConvert()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), HfFixtures.Gpt2().ConfigJson);
        File.WriteAllBytes(dir.File("pytorch_model.bin"), [0x50, 0x4b]);
        var error = Assert.Throws<FileNotFoundException>(() => HookedTransformer.FromPretrained(dir.Path));
        Assert.Contains("only PyTorch pickle files (pytorch_model.bin)", error.Message);
    }
}
