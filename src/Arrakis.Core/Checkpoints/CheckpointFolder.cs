using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Checkpoints;

/// <summary>
/// A Hugging Face style model folder: <c>config.json</c> plus weights in <c>model.safetensors</c> or in shards listed
/// by <c>model.safetensors.index.json</c>, seen as one set of named tensors. It never downloads anything.
/// </summary>
/// <remarks>
/// This is the layer a model-family mapping builds on: read <see cref="Config"/>, check <see cref="TensorNames"/> and
/// <see cref="GetInfo"/> shapes against it, then <see cref="Load"/> each tensor into the model's dtype and device.
/// </remarks>
public sealed class CheckpointFolder : IDisposable
{
    /// <summary>The single-file weights name.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The shard index name.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>The model configuration name.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>Index and config files larger than this are refused (real ones are kilobytes to a few MB).</summary>
    private const long MaxJsonBytes = 100_000_000;

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsFile> _owner;

    private CheckpointFolder(string directory, JsonElement? config, List<SafetensorsFile> files,
        Dictionary<string, SafetensorsFile> owner, string? indexPath)
    {
        Directory = directory;
        Config = config;
        _files = files;
        _owner = owner;
        IndexPath = indexPath;
        TensorNames = owner.Keys.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The folder's full path.</summary>
    public string Directory { get; }

    /// <summary>The parsed <c>config.json</c> (a detached copy), or null when the folder has none.</summary>
    public JsonElement? Config { get; }

    /// <summary>The shard index's path, or null for a single-file checkpoint.</summary>
    public string? IndexPath { get; }

    /// <summary>The safetensors files, in index order (one for a single-file checkpoint).</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>Every tensor name, sorted ordinally.</summary>
    public IReadOnlyList<string> TensorNames { get; }

    /// <summary>Whether any shard holds a tensor of that name.</summary>
    public bool Contains(string name) => _owner.ContainsKey(name);

    /// <summary>The header entry of one tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name; the message names the folder.</exception>
    public SafetensorsTensorInfo GetInfo(string name) => Owner(name).GetInfo(name);

    /// <summary>Loads one tensor, converted to <paramref name="dtype"/> and moved to <paramref name="device"/> when given.</summary>
    public Tensor Load(string name, ScalarType? dtype = null, Device? device = null) => Owner(name).Load(name, dtype, device);

    /// <summary>Reads one tensor into an existing tensor of the same shape (see <see cref="SafetensorsFile.LoadInto"/>).</summary>
    public void LoadInto(string name, Tensor destination) => Owner(name).LoadInto(name, destination);

    /// <summary>
    /// Points an existing tensor at the mapped file's pages when the folder was opened with <c>memoryMap: true</c>
    /// (see <see cref="SafetensorsFile.TryMapInto"/>); false when that is not possible, so the caller copies instead.
    /// </summary>
    public bool TryMapInto(string name, Tensor destination) => Owner(name).TryMapInto(name, destination);

    /// <summary>Whether the shards were opened memory-mapped (see <see cref="SafetensorsFile.MemoryMapped"/>).</summary>
    public bool MemoryMapped => _files.Count > 0 && _files[0].MemoryMapped;

    /// <summary>Loads every tensor, keyed by name.</summary>
    public Dictionary<string, Tensor> LoadAll(ScalarType? dtype = null, Device? device = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (string name in TensorNames)
                result.Add(name, Load(name, dtype, device));
            return result;
        }
        catch
        {
            foreach (var t in result.Values)
                t.Dispose();
            throw;
        }
    }

    private SafetensorsFile Owner(string name) =>
        _owner.TryGetValue(name, out var file)
            ? file
            : throw new KeyNotFoundException($"{Directory}: no tensor named '{CheckpointFormatException.Shorten(name)}' in this checkpoint.");

    /// <summary>
    /// Opens a model folder (or a single <c>.safetensors</c> file, whose folder supplies <c>config.json</c>).
    /// Prefers <c>model.safetensors.index.json</c>, then <c>model.safetensors</c>, then a folder's only <c>*.safetensors</c> file.
    /// </summary>
    /// <exception cref="CheckpointFormatException">A malformed index, config or safetensors file.</exception>
    /// <exception cref="FileNotFoundException">No safetensors weights (the message says what was found instead).</exception>
    /// <param name="path">The folder, or one <c>.safetensors</c> file in it.</param>
    /// <param name="memoryMap">Open every shard memory-mapped (see <see cref="SafetensorsFile.MemoryMapped"/>).</param>
    public static CheckpointFolder Open(string path, bool memoryMap = false)
    {
        string full = System.IO.Path.GetFullPath(path);
        string directory;
        string? single = null;
        if (File.Exists(full))
        {
            directory = System.IO.Path.GetDirectoryName(full)!;
            single = full;
        }
        else if (System.IO.Directory.Exists(full))
        {
            directory = full;
        }
        else
        {
            throw new DirectoryNotFoundException($"{full}: no such checkpoint folder or file.");
        }

        JsonElement? config = null;
        string configPath = System.IO.Path.Combine(directory, ConfigFileName);
        if (File.Exists(configPath))
        {
            using var doc = ParseJson(configPath);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(configPath, null, "config.json is not a JSON object");
            config = doc.RootElement.Clone();
        }

        string indexPath = System.IO.Path.Combine(directory, IndexFileName);
        if (single is null && File.Exists(indexPath))
            return OpenSharded(directory, indexPath, config, memoryMap);

        single ??= FindSingle(directory);
        var file = SafetensorsFile.Open(single, memoryMap);
        var owner = file.Tensors.ToDictionary(t => t.Name, _ => file, StringComparer.Ordinal);
        return new CheckpointFolder(directory, config, [file], owner, null);
    }

    private static string FindSingle(string directory)
    {
        string preferred = System.IO.Path.Combine(directory, SingleFileName);
        if (File.Exists(preferred))
            return preferred;
        var candidates = System.IO.Directory.GetFiles(directory, "*.safetensors");
        if (candidates.Length == 1)
            return candidates[0];
        if (candidates.Length > 1)
            throw new FileNotFoundException(
                $"{directory}: several .safetensors files ({string.Join(", ", candidates.Select(System.IO.Path.GetFileName).Order())}) " +
                $"and no {IndexFileName} to say how they fit together.");
        var torchFiles = System.IO.Directory.GetFiles(directory)
            .Select(System.IO.Path.GetFileName)
            .Where(n => n!.EndsWith(".bin", StringComparison.Ordinal) || n.EndsWith(".pt", StringComparison.Ordinal)
                        || n.EndsWith(".pth", StringComparison.Ordinal))
            .Order().ToList();
        throw new FileNotFoundException(torchFiles.Count > 0
            ? $"{directory}: no safetensors weights, only PyTorch pickle files ({string.Join(", ", torchFiles)}). " +
              "Arrakis reads safetensors only (TorchSharp cannot read PyTorch zip checkpoints); convert them first, e.g. " +
              "with Python: safetensors.torch.save_file(torch.load(path), 'model.safetensors')."
            : $"{directory}: no {SingleFileName}, {IndexFileName} or other .safetensors file.");
    }

    private static CheckpointFolder OpenSharded(string directory, string indexPath, JsonElement? config, bool memoryMap)
    {
        var weightMap = ReadIndex(indexPath);
        var files = new List<SafetensorsFile>();
        var byShard = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, shard) in weightMap)
            {
                if (!byShard.TryGetValue(shard, out var file))
                {
                    string shardPath = System.IO.Path.Combine(directory, shard);
                    if (!File.Exists(shardPath))
                        throw new CheckpointFormatException(indexPath, tensor, $"its shard '{shard}' does not exist in {directory}");
                    file = SafetensorsFile.Open(shardPath, memoryMap);
                    byShard.Add(shard, file);
                    files.Add(file);
                }
                if (!file.Contains(tensor))
                    throw new CheckpointFormatException(indexPath, tensor, $"the index places it in '{shard}', which has no such tensor");
                owner.Add(tensor, file);
            }
            return new CheckpointFolder(directory, config, files, owner, indexPath);
        }
        catch
        {
            foreach (var f in files)
                f.Dispose();
            throw;
        }
    }

    /// <summary>Reads <c>weight_map</c> (tensor → shard file name) and checks each shard name is a plain file name.</summary>
    private static List<KeyValuePair<string, string>> ReadIndex(string indexPath)
    {
        using var doc = ParseJson(indexPath);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(indexPath, null, "the index is not a JSON object");
        if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(indexPath, null, "the index has no 'weight_map' object");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<KeyValuePair<string, string>>();
        foreach (var entry in map.EnumerateObject())
        {
            if (!seen.Add(entry.Name))
                throw new CheckpointFormatException(indexPath, entry.Name, "the name appears twice in weight_map");
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointFormatException(indexPath, entry.Name, "its weight_map value is not a file name string");
            string shard = entry.Value.GetString()!;
            if (shard.Length == 0 || shard == "." || shard == ".." || shard.IndexOfAny(['/', '\\', '\0']) >= 0
                || System.IO.Path.IsPathRooted(shard))
                throw new CheckpointFormatException(indexPath, entry.Name,
                    $"its shard '{CheckpointFormatException.Shorten(shard)}' is not a plain file name in the checkpoint folder");
            result.Add(new(entry.Name, shard));
        }
        return result;
    }

    private static JsonDocument ParseJson(string path)
    {
        long length = new FileInfo(path).Length;
        if (length > MaxJsonBytes)
            throw new CheckpointFormatException(path, null, $"the file is {length} bytes, over the {MaxJsonBytes}-byte limit for JSON");
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new CheckpointFormatException(path, null, $"not valid JSON ({ex.Message})", ex);
        }
    }

    /// <summary>Closes every shard; loaded tensors stay valid.</summary>
    public void Dispose()
    {
        foreach (var f in _files)
            f.Dispose();
    }
}
