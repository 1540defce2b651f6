using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Arrakis.Bench;

/// <summary>What the store records about a model: its name, configuration and a hash of its weights.</summary>
internal static class ModelIdentity
{
    /// <summary>
    /// Describes <paramref name="model"/>. The weights hash is SHA-256 over every state-dict entry in ordinal name
    /// order (name, dtype, shape, then the raw element bytes), so equal weights give equal hashes on any machine
    /// of the same endianness.
    /// </summary>
    public static ModelRecord Describe(HookedTransformer model)
    {
        JsonNode? config;
        try
        {
            config = JsonSerializer.SerializeToNode(model.Cfg, ExperimentJson.RecordOptions);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            config = JsonValue.Create(model.Cfg.ToString());
        }
        return new ModelRecord(model.Cfg.ModelName, config, WeightsHash(model));
    }

    private static string WeightsHash(HookedTransformer model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach ((string name, Tensor tensor) in model.state_dict().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{name}|{tensor.dtype}|{string.Join(",", tensor.shape)}|"));
            hash.AppendData(tensor.detach().cpu().contiguous().bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
