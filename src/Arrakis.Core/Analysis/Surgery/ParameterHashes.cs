using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace Arrakis.Surgery;

/// <summary>SHA-256 of every parameter and buffer of a model, by state-dict name (name, dtype, shape and raw bytes).</summary>
public static class ParameterHashes
{
    /// <summary>Each state-dict entry's hash, in ordinal name order; equal hashes mean byte-identical tensors.</summary>
    public static IReadOnlyDictionary<string, string> Of(HookedTransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in model.state_dict())
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(Encoding.UTF8.GetBytes($"{tensor.dtype}|{string.Join(",", tensor.shape)}|"));
            hash.AppendData(tensor.detach().cpu().contiguous().bytes);
            hashes[name] = Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        return hashes;
    }

    /// <summary>The names whose hashes differ between two snapshots (or exist in only one).</summary>
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return before.Keys.Union(after.Keys).Where(k => !before.TryGetValue(k, out var a) || !after.TryGetValue(k, out var b) || a != b)
            .Order(StringComparer.Ordinal).ToList();
    }
}
