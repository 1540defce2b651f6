using System.Text.Json.Nodes;
using TorchSharp;

namespace Arrakis.Tests.Pretrained;

/// <summary>Writes a fixture into a folder with its tensors or config.json edited first.</summary>
internal static class FixtureFolder
{
    public static string Write(string directory, HfFixture fixture,
        Action<Dictionary<string, torch.Tensor>>? editTensors = null, Action<JsonObject>? editConfig = null)
    {
        var tensors = new Dictionary<string, torch.Tensor>(fixture.Tensors);
        editTensors?.Invoke(tensors);
        var config = JsonNode.Parse(fixture.ConfigJson)!.AsObject();
        editConfig?.Invoke(config);
        var edited = new HfFixture
        {
            ModelType = fixture.ModelType, Tensors = tensors, ConfigJson = config.ToJsonString(), Forward = fixture.Forward,
            ShardBytes = fixture.ShardBytes,
        };
        edited.Write(directory);
        return directory;
    }
}
