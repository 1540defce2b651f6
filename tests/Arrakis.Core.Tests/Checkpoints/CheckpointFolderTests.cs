using System.Text.Json;
using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Checkpoints;

public class CheckpointFolderTests
{
    private static Dictionary<string, Tensor> Weights()
    {
        manual_seed(5);
        return new Dictionary<string, Tensor>
        {
            ["transformer.wte.weight"] = randn(16, 8),
            ["transformer.h.0.attn.c_attn.weight"] = randn(8, 24),
            ["transformer.h.0.attn.c_attn.bias"] = randn(24),
            ["transformer.h.0.mlp.c_fc.weight"] = randn(8, 32).to(ScalarType.BFloat16),
            ["transformer.ln_f.weight"] = ones(8, ScalarType.Float16),
        };
    }

    [Fact]
    public void ShardedCheckpoint_LoadsThroughItsIndex()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var weights = Weights();
        var written = SafetensorsWriter.SaveSharded(dir.Path, weights, maxShardBytes: 700);
        Assert.True(written.Count > 2, $"expected several shards, got {string.Join(", ", written)}");
        Assert.EndsWith("model.safetensors.index.json", written[^1]);
        Assert.Contains(written, f => f.EndsWith($"model-00001-of-{written.Count - 1:D5}.safetensors"));
        File.WriteAllText(dir.File("config.json"), """{"model_type":"gpt2","n_layer":1,"n_embd":8}""");

        using var folder = CheckpointFolder.Open(dir.Path);
        Assert.Equal(written.Count - 1, folder.Files.Count);
        Assert.Equal(weights.Keys.Order(StringComparer.Ordinal), folder.TensorNames);
        Assert.Equal("gpt2", folder.Config!.Value.GetProperty("model_type").GetString());
        Assert.Equal(8, folder.Config!.Value.GetProperty("n_embd").GetInt32());
        foreach (var (name, expected) in weights)
        {
            Assert.Equal(expected.shape, folder.GetInfo(name).Shape.ToArray());
            Assert.Equal(expected.bytes.ToArray(), folder.Load(name).bytes.ToArray());
        }
        var all = folder.LoadAll(ScalarType.Float32);
        Assert.All(all.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));

        using var index = JsonDocument.Parse(File.ReadAllText(written[^1]));
        long total = weights.Values.Sum(t => t.numel() * t.element_size());
        Assert.Equal(total, index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
    }

    [Fact]
    public void SmallCheckpoint_IsOneFileWithoutIndex()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var written = SafetensorsWriter.SaveSharded(dir.Path, Weights());
        Assert.Equal([dir.File("model.safetensors")], written);
        using var folder = CheckpointFolder.Open(dir.Path);
        Assert.Null(folder.IndexPath);
        Assert.Null(folder.Config);
        Assert.Equal(5, folder.TensorNames.Count);

        using var direct = CheckpointFolder.Open(dir.File("model.safetensors"));
        Assert.Equal(folder.TensorNames, direct.TensorNames);
    }

    [Fact]
    public void AHandWrittenIndexLikeHuggingFaces_Loads()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        SafetensorsWriter.Save(dir.File("model-00001-of-00002.safetensors"), [new("a.weight", ones(2)), new("unlisted", ones(1))]);
        SafetensorsWriter.Save(dir.File("model-00002-of-00002.safetensors"), [new("b.weight", zeros(3))]);
        File.WriteAllText(dir.File("model.safetensors.index.json"), """
            {
              "metadata": {"total_size": 20},
              "weight_map": {
                "a.weight": "model-00001-of-00002.safetensors",
                "b.weight": "model-00002-of-00002.safetensors"
              }
            }
            """);
        using var folder = CheckpointFolder.Open(dir.Path);
        Assert.Equal(["a.weight", "b.weight"], folder.TensorNames);
        Assert.False(folder.Contains("unlisted"));
        Assert.Equal(3, folder.Load("b.weight").numel());
        Assert.Throws<KeyNotFoundException>(() => folder.GetInfo("c.weight"));
    }

    private static CheckpointFormatException RefuseIndex(string indexJson, string? tensor, string reason)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        SafetensorsWriter.Save(dir.File("shard.safetensors"), [new("a", ones(2))]);
        File.WriteAllText(dir.File("model.safetensors.index.json"), indexJson);
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Open(dir.Path).Dispose());
        Assert.Equal(tensor, ex.TensorName);
        Assert.Contains(reason, ex.Reason);
        return ex;
    }

    [Fact]
    public void IndexThatEscapesTheFolder_IsRefused()
    {
        RefuseIndex("""{"weight_map":{"a":"../shard.safetensors"}}""", "a", "not a plain file name");
        RefuseIndex("""{"weight_map":{"a":"/etc/passwd"}}""", "a", "not a plain file name");
        RefuseIndex("""{"weight_map":{"a":".."}}""", "a", "not a plain file name");
    }

    [Fact]
    public void IndexProblems_NameTheTensor()
    {
        RefuseIndex("""{"weight_map":{"a":"missing.safetensors"}}""", "a", "its shard 'missing.safetensors' does not exist");
        RefuseIndex("""{"weight_map":{"zzz":"shard.safetensors"}}""", "zzz", "which has no such tensor");
        RefuseIndex("""{"weight_map":{"a":"shard.safetensors","a":"shard.safetensors"}}""", "a", "appears twice");
        RefuseIndex("""{"weight_map":{"a":7}}""", "a", "not a file name string");
        RefuseIndex("""{"weight_map":[]}""", null, "no 'weight_map' object");
        RefuseIndex("""{"weight_map":""", null, "not valid JSON");
    }

    [Fact]
    public void MalformedConfig_IsRefused()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        SafetensorsWriter.Save(dir.File("model.safetensors"), [new("a", ones(2))]);
        File.WriteAllText(dir.File("config.json"), "{\"model_type\": ");
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointFolder.Open(dir.Path));
        Assert.Equal(dir.File("config.json"), ex.FilePath);
    }

    [Fact]
    public void PyTorchPickleOnly_SaysSoAndHowToConvert()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("pytorch_model.bin"), [0x50, 0x4b]);
        var ex = Assert.Throws<FileNotFoundException>(() => CheckpointFolder.Open(dir.Path));
        Assert.Contains("pytorch_model.bin", ex.Message);
        Assert.Contains("safetensors", ex.Message);
    }
}

public class LoadIntoTests
{
    [Fact]
    public void LoadInto_FillsAnExistingTensor_DirectlyOrByConverting()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var source = arange(6, ScalarType.Float32).reshape(2, 3);
        SafetensorsWriter.Save(dir.File("model.safetensors"), [new("w", source)]);
        using var folder = CheckpointFolder.Open(dir.Path);

        var parameter = nn.Parameter(zeros(2, 3));
        folder.LoadInto("w", parameter);
        Assert.Equal(source.data<float>().ToArray(), parameter.data<float>().ToArray());
        Assert.True(parameter.requires_grad);

        var half = zeros(2, 3, ScalarType.Float16);
        folder.LoadInto("w", half);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, half.to(ScalarType.Float32).data<float>().ToArray());

        var ex = Assert.Throws<ArgumentException>(() => folder.LoadInto("w", zeros(3, 2)));
        Assert.Contains("tensor 'w' is [2, 3] but the destination is [3, 2]", ex.Message);
    }
}
