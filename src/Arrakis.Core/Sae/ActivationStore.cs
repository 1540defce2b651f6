using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arrakis.Checkpoints;
using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// A hook point's activations over a token dataset, on disk as safetensors shards (SAELens
/// <c>CacheActivationsRunner</c> + <c>ActivationsStore</c>): <c>shard_00000.safetensors</c>, … each holding
/// <c>activations</c> float32 [tokens, d_in] for <see cref="BatchesPerShard"/> consecutive batches, and
/// <c>store.json</c> naming the model, hook, dataset and layout; each shard's <c>__metadata__</c> repeats them with its
/// batch range.
/// </summary>
/// <remarks>
/// Memory is bounded by one shard: a harvest holds at most one shard's activations before writing it. Shards are
/// written atomically (temp file, flush, rename), so a killed harvest leaves only whole shards; run the same harvest
/// again and it continues at the first missing shard, recomputing nothing that was written and writing nothing twice
/// (batches are a pure function of their index: <see cref="ITokenBatches"/>).
/// </remarks>
public sealed class ActivationStore
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = "store.json";

    /// <summary>The tensor name inside each shard.</summary>
    public const string TensorName = "activations";

    private ActivationStore(string directory, JsonObject manifest)
    {
        Directory = directory;
        ModelName = (string?)manifest["model"] ?? "";
        HookName = (string?)manifest["hook"] ?? "";
        Dataset = (string?)manifest["dataset"] ?? "";
        DIn = (int)manifest["d_in"]!;
        Batches = (long)manifest["batches"]!;
        BatchesPerShard = (int)manifest["batches_per_shard"]!;
        ShardCount = (int)((Batches + BatchesPerShard - 1) / BatchesPerShard);
    }

    /// <summary>The store's folder.</summary>
    public string Directory { get; }
    /// <summary>The model the activations came from.</summary>
    public string ModelName { get; }
    /// <summary>The hook point.</summary>
    public string HookName { get; }
    /// <summary>The dataset's description.</summary>
    public string Dataset { get; }
    /// <summary>The activation width.</summary>
    public int DIn { get; }
    /// <summary>Batches in the dataset.</summary>
    public long Batches { get; }
    /// <summary>Batches per shard (the last shard may hold fewer).</summary>
    public int BatchesPerShard { get; }
    /// <summary>Shards in a complete store.</summary>
    public int ShardCount { get; }

    /// <summary>Shard <paramref name="index"/>'s path.</summary>
    public string ShardPath(int index) => Path.Combine(Directory, $"shard_{index:D5}.safetensors");

    /// <summary>Whether every shard is present.</summary>
    public bool IsComplete => Enumerable.Range(0, ShardCount).All(i => File.Exists(ShardPath(i)));

    /// <summary>Loads shard <paramref name="index"/>: float32 [tokens, d_in] on the CPU.</summary>
    /// <exception cref="CheckpointFormatException">The shard is malformed or not this store's.</exception>
    public Tensor LoadShard(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ShardCount);
        using var file = SafetensorsFile.Open(ShardPath(index));
        if (!file.Contains(TensorName) || file.GetInfo(TensorName).Shape is not [_, var width] || width != DIn)
            throw new CheckpointFormatException(file.Path, TensorName, $"expected a tensor '{TensorName}' of shape [tokens, {DIn}]");
        if (!file.Metadata.TryGetValue("shard", out var shard) || shard != index.ToString(CultureInfo.InvariantCulture)
            || !file.Metadata.TryGetValue("hook", out var hook) || hook != HookName)
            throw new CheckpointFormatException(file.Path, null, $"its metadata does not name shard {index} of hook '{HookName}'");
        return file.Load(TensorName, ScalarType.Float32);
    }

    /// <summary>
    /// An endless shuffled stream for training: shards in a seeded random order each epoch, mixed through a buffer of
    /// <paramref name="bufferRows"/> activations (memory: the buffer plus one shard).
    /// </summary>
    public IActivationSource ShuffledBatches(long seed, int bufferRows = 1 << 16) => new ActivationShuffleBuffer(this, seed, bufferRows);

    /// <summary>Opens a harvested store.</summary>
    /// <exception cref="CheckpointFormatException">store.json is missing or malformed.</exception>
    public static ActivationStore Open(string directory)
    {
        string path = Path.GetFullPath(Path.Combine(directory, ManifestFile));
        if (!File.Exists(path))
            throw new CheckpointFormatException(path, null, "there is no store.json: not an activation store (or its harvest never started)");
        try
        {
            var manifest = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new FormatException("not a JSON object");
            return new ActivationStore(Path.GetFullPath(directory), manifest);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new CheckpointFormatException(path, null, $"the manifest is malformed ({e.Message})", e);
        }
    }

    /// <summary>
    /// Harvests <paramref name="hookName"/>'s activations of <paramref name="model"/> over <paramref name="data"/> into
    /// <paramref name="directory"/>, resuming a harvest of the same model, hook and dataset that was stopped. The forward
    /// pass stops after the hook's block.
    /// </summary>
    /// <exception cref="InvalidOperationException">The folder holds a store of another model, hook or dataset.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the shards written so far stay, and a rerun continues.</exception>
    public static ActivationStore Harvest(HookedTransformer model, string hookName, ITokenBatches data, string directory,
        int batchesPerShard = 16, Action<HarvestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(batchesPerShard, 0);
        var point = model.GetHookPoint(hookName);
        int dIn = WidthOf(model, hookName);
        System.IO.Directory.CreateDirectory(directory);
        var manifest = new JsonObject
        {
            ["format"] = "arrakis-activations/1", ["model"] = model.Cfg.ModelName, ["hook"] = hookName, ["dataset"] = data.Description,
            ["d_in"] = dIn, ["batches"] = data.Count, ["batches_per_shard"] = batchesPerShard, ["dtype"] = "float32",
        };
        string manifestPath = Path.Combine(directory, ManifestFile);
        if (File.Exists(manifestPath))
        {
            var existing = JsonNode.Parse(File.ReadAllText(manifestPath));
            if (!JsonNode.DeepEquals(existing, manifest))
                throw new InvalidOperationException(
                    $"'{directory}' holds another harvest ({existing?.ToJsonString()}); this one is {manifest.ToJsonString()}. Use an empty folder.");
        }
        else
        {
            string json = manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            SafetensorsWriter.WriteAtomically(manifestPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(json)));
        }
        var store = new ActivationStore(Path.GetFullPath(directory), manifest);
        int? stopAt = point.Context.Layer is { } layer && hookName.StartsWith("blocks.", StringComparison.Ordinal) ? layer + 1 : null;
        var clock = Stopwatch.StartNew();
        long tokens = 0, done = 0, todo = Enumerable.Range(0, store.ShardCount).Where(i => !File.Exists(store.ShardPath(i)))
            .Sum(i => Math.Min(batchesPerShard, data.Count - (long)i * batchesPerShard));
        for (int shard = 0; shard < store.ShardCount; shard++)
        {
            if (File.Exists(store.ShardPath(shard)))
                continue;
            long first = (long)shard * batchesPerShard, last = Math.Min(first + batchesPerShard, data.Count);
            var parts = new List<Tensor>();
            try
            {
                for (long b = first; b < last; b++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    var batch = data.Batch(b).to(model.Device);
                    Tensor? captured = null;
                    using (model.Hooks([new Hook(hookName, (a, _) => { captured = a.detach().reshape(-1, dIn).to(ScalarType.Float32, CPU).clone().DetachFromDisposeScope(); return null; })]))
                        model.Forward(batch, stopAtLayer: stopAt);
                    parts.Add(captured ?? throw new InvalidOperationException($"The hook point '{hookName}' did not fire."));
                    tokens += batch.numel();
                    done++;
                    double seconds = clock.Elapsed.TotalSeconds;
                    progress?.Invoke(new HarvestProgress(b + 1, data.Count, tokens,
                        tokens / Math.Max(seconds, 1e-9), clock.Elapsed, TimeSpan.FromSeconds(seconds / done * (todo - done)), shard, store.ShardCount));
                }
                using var activations = cat(parts, 0);
                var metadata = new Dictionary<string, string>
                {
                    ["format"] = "arrakis-activations/1", ["model"] = model.Cfg.ModelName ?? "", ["hook"] = hookName, ["dataset"] = data.Description,
                    ["shard"] = shard.ToString(CultureInfo.InvariantCulture), ["first_batch"] = first.ToString(CultureInfo.InvariantCulture),
                    ["batches"] = (last - first).ToString(CultureInfo.InvariantCulture),
                };
                SafetensorsWriter.Save(store.ShardPath(shard), [new(TensorName, activations)], metadata);
            }
            finally
            {
                foreach (var part in parts)
                    part.Dispose();
            }
        }
        return store;
    }

    /// <summary>The last dimension of the hook's activation, from one short forward pass.</summary>
    private static int WidthOf(HookedTransformer model, string hookName)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long width = -1;
        using var tokens = zeros(1, 1, dtype: ScalarType.Int64, device: model.Device);
        using (model.Hooks([new Hook(hookName, (a, _) => { width = a.shape[^1]; return null; })]))
            model.Forward(tokens);
        return (int)width;
    }
}
