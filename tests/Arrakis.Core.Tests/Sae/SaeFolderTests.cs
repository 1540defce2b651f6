using System.Text.Json.Nodes;
using Arrakis.Checkpoints;
using Arrakis.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Sae;

/// <summary>SAELens's on-disk layout: cfg.json + sae_weights.safetensors, both ways, and malformed folders refused.</summary>
public sealed class SaeFolderTests
{
    public static IEnumerable<object[]> Architectures =>
    [
        [new SaeConfig { DIn = 8, DSae = 24, HookName = "blocks.1.hook_mlp_out", HookLayer = 1, ModelName = "m" }],
        [new SaeConfig { DIn = 8, DSae = 24, Architecture = SaeArchitecture.TopK, K = 3 }],
        [new SaeConfig { DIn = 8, DSae = 24, Architecture = SaeArchitecture.JumpRelu, ApplyBDecToInput = false }],
    ];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void SaveThenLoad_GivesTheSameSae(SaeConfig config)
    {
        using var dir = new TempDirectory();
        using var sae = SaeTestData.Random(config);
        SaeFolder.Save(sae, dir.Path);
        using var loaded = SaeFolder.Load(dir.Path);
        Assert.Equal(config, loaded.Cfg);
        using var x = randn(7, 8, generator: new Generator(9));
        using var a = sae.forward(x);
        using var b = loaded.forward(x);
        Assert.True(a.eq(b).all().ToBoolean());
    }

    [Fact]
    public void TheFilesUseSaeLensNamesAndShapes()
    {
        using var dir = new TempDirectory();
        using var sae = SaeTestData.Random(new SaeConfig { DIn = 8, DSae = 24, Architecture = SaeArchitecture.JumpRelu, HookName = "blocks.0.hook_resid_post", HookLayer = 0 });
        SaeFolder.Save(sae, dir.Path);
        using (var file = SafetensorsFile.Open(dir.File("sae_weights.safetensors")))
        {
            Assert.Equal(["W_dec", "W_enc", "b_dec", "b_enc", "threshold"], file.Names.Order(StringComparer.Ordinal));
            Assert.Equal([8L, 24], file.GetInfo("W_enc").Shape);
            Assert.Equal([24L, 8], file.GetInfo("W_dec").Shape);
            Assert.Equal([24L], file.GetInfo("threshold").Shape);
        }
        var cfg = JsonNode.Parse(File.ReadAllText(dir.File("cfg.json")))!;
        Assert.Equal("jumprelu", (string?)cfg["architecture"]);
        Assert.Equal(8, (int)cfg["d_in"]!);
        Assert.Equal(24, (int)cfg["d_sae"]!);
        Assert.Equal("blocks.0.hook_resid_post", (string?)cfg["hook_name"]);
        Assert.Equal("blocks.0.hook_resid_post", (string?)cfg["metadata"]!["hook_name"]);
        Assert.True((bool)cfg["apply_b_dec_to_input"]!);
        Assert.Equal("none", (string?)cfg["normalize_activations"]);
    }

    [Fact]
    public void ASaeLensV6Config_WithMetadataAndTopLevelK_Loads()
    {
        using var dir = new TempDirectory();
        using var sae = SaeTestData.Random(new SaeConfig { DIn = 4, DSae = 6, Architecture = SaeArchitecture.TopK, K = 2 });
        SaeFolder.Save(sae, dir.Path);
        File.WriteAllText(dir.File("cfg.json"), """
            {"architecture": "topk", "d_in": 4, "d_sae": 6, "k": 2, "dtype": "torch.float32", "device": "cuda",
             "apply_b_dec_to_input": true, "normalize_activations": "none", "reshape_activations": "none",
             "metadata": {"model_name": "gpt2", "hook_name": "blocks.3.hook_resid_pre", "hook_head_index": null, "context_size": 128}}
            """);
        using var loaded = SaeFolder.Load(dir.Path);
        Assert.Equal(2, loaded.Cfg.K);
        Assert.Equal("blocks.3.hook_resid_pre", loaded.Cfg.HookName);
        Assert.Equal("gpt2", loaded.Cfg.ModelName);
        Assert.Equal(128, loaded.Cfg.ContextSize);
    }

    [Fact]
    public void AMissingTensor_IsRefused_NamingIt()
    {
        using var dir = Saved(new SaeConfig { DIn = 4, DSae = 6, Architecture = SaeArchitecture.JumpRelu });
        using (var sae = SaeTestData.Random(new SaeConfig { DIn = 4, DSae = 6 }))
            SafetensorsWriter.Save(dir.File("sae_weights.safetensors"), new Dictionary<string, Tensor>
                { ["W_enc"] = sae.W_enc, ["W_dec"] = sae.W_dec, ["b_enc"] = sae.b_enc, ["b_dec"] = sae.b_dec });
        var e = Assert.Throws<CheckpointFormatException>(() => SaeFolder.Load(dir.Path));
        Assert.Equal("threshold", e.TensorName);
    }

    [Fact]
    public void AShapeThatContradictsTheConfig_IsRefused()
    {
        using var dir = Saved(new SaeConfig { DIn = 4, DSae = 6 });
        var cfg = JsonNode.Parse(File.ReadAllText(dir.File("cfg.json")))!;
        cfg["d_sae"] = 7;
        File.WriteAllText(dir.File("cfg.json"), cfg.ToJsonString());
        var e = Assert.Throws<CheckpointFormatException>(() => SaeFolder.Load(dir.Path));
        Assert.Contains("[4, 6]", e.Message);
        Assert.Contains("[4, 7]", e.Message);
    }

    [Fact]
    public void AnUnknownTensor_IsRefused()
    {
        using var dir = Saved(new SaeConfig { DIn = 4, DSae = 6 });
        using (var sae = SaeTestData.Random(new SaeConfig { DIn = 4, DSae = 6 }))
        using (var extra = zeros(6))
            SafetensorsWriter.Save(dir.File("sae_weights.safetensors"), new Dictionary<string, Tensor>
                { ["W_enc"] = sae.W_enc, ["W_dec"] = sae.W_dec, ["b_enc"] = sae.b_enc, ["b_dec"] = sae.b_dec, ["log_threshold"] = extra });
        var e = Assert.Throws<CheckpointFormatException>(() => SaeFolder.Load(dir.Path));
        Assert.Equal("log_threshold", e.TensorName);
    }

    [Fact]
    public void ATruncatedWeightsFile_IsRefusedByTheSafetensorsReader()
    {
        using var dir = Saved(new SaeConfig { DIn = 4, DSae = 6 });
        var bytes = File.ReadAllBytes(dir.File("sae_weights.safetensors"));
        File.WriteAllBytes(dir.File("sae_weights.safetensors"), bytes[..(bytes.Length - 10)]);
        Assert.Throws<CheckpointFormatException>(() => SaeFolder.Load(dir.Path));
    }

    [Theory]
    [InlineData("""{"d_sae": 6}""", "d_in")]
    [InlineData("""{"d_in": "four", "d_sae": 6}""", "d_in")]
    [InlineData("""{"d_in": 4, "d_sae": 6, "architecture": "gated"}""", "gated")]
    [InlineData("""{"d_in": 4, "d_sae": 6, "normalize_activations": "expected_average_only_in"}""", "normalize_activations")]
    [InlineData("""{"d_in": 4, "d_sae": 6, "architecture": "topk"}""", "K")]
    [InlineData("""not json""", "JSON")]
    public void ABadConfig_IsRefused_SayingWhy(string json, string expected)
    {
        using var dir = Saved(new SaeConfig { DIn = 4, DSae = 6 });
        File.WriteAllText(dir.File("cfg.json"), json);
        var e = Assert.Throws<CheckpointFormatException>(() => SaeFolder.Load(dir.Path));
        Assert.Contains(expected, e.Message);
        Assert.EndsWith("cfg.json", e.FilePath);
    }

    [Fact]
    public void AFolderWithoutConfig_IsRefused()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<CheckpointFormatException>(() => SaeFolder.Load(dir.Path));
        Assert.Contains("cfg.json", e.Message);
    }

    private static TempDirectory Saved(SaeConfig config)
    {
        var dir = new TempDirectory();
        using var sae = SaeTestData.Random(config);
        SaeFolder.Save(sae, dir.Path);
        return dir;
    }
}
