using System.Text.Json;
using System.Text.Json.Nodes;
using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// Reads and writes sparse autoencoders in SAELens's on-disk layout: a folder with <c>cfg.json</c> and
/// <c>sae_weights.safetensors</c> holding <c>W_enc</c> [d_in, d_sae], <c>W_dec</c> [d_sae, d_in], <c>b_enc</c> [d_sae],
/// <c>b_dec</c> [d_in] and, for JumpReLU, <c>threshold</c> [d_sae] (SAELens <c>save_model</c> / <c>load_from_disk</c>).
/// </summary>
/// <remarks>
/// <c>cfg.json</c> is read in both SAELens layouts: the flat one (<c>model_name</c>, <c>hook_name</c>, … beside
/// <c>d_in</c>; <c>k</c> or <c>activation_fn_kwargs.k</c>) and v6's (<c>k</c> at the top, provenance under
/// <c>metadata</c>); it is written with both, so older and newer SAELens read it. Files are written atomically
/// (weights first, config last), so a folder with a <c>cfg.json</c> is complete. The weights go through
/// <see cref="SafetensorsFile"/>, which refuses malformed files; on top of that every tensor must be present with its
/// exact shape, and no unknown tensor may be present.
/// </remarks>
public static class SaeFolder
{
    /// <summary>The config file's name.</summary>
    public const string ConfigFile = "cfg.json";

    /// <summary>The weights file's name.</summary>
    public const string WeightsFile = "sae_weights.safetensors";

    /// <summary>Writes <paramref name="sae"/> into <paramref name="directory"/> (created if missing), replacing an earlier save.</summary>
    public static void Save(SparseAutoencoder sae, string directory)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (sae.Cfg.Architecture == SaeArchitecture.BatchTopK)
            throw new ArgumentException("A BatchTopK SAE is saved after its conversion to JumpReLU (SaeTrainer does it when training ends).", nameof(sae));
        Directory.CreateDirectory(directory);
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("W_enc", sae.W_enc), new("W_dec", sae.W_dec), new("b_enc", sae.b_enc), new("b_dec", sae.b_dec),
        };
        if (sae.threshold is { } t)
            tensors.Add(new("threshold", t));
        SafetensorsWriter.Save(Path.Combine(directory, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var json = ToJson(sae.Cfg, sae.Device).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        SafetensorsWriter.WriteAtomically(Path.Combine(directory, ConfigFile), s => s.Write(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>Reads only the configuration of the SAE in <paramref name="directory"/>.</summary>
    /// <exception cref="CheckpointFormatException">cfg.json is missing, not JSON, or lacks or mistypes a field.</exception>
    public static SaeConfig LoadConfig(string directory)
    {
        string path = Path.GetFullPath(Path.Combine(directory, ConfigFile));
        if (!File.Exists(path))
            throw new CheckpointFormatException(path, null, $"there is no {ConfigFile}; an SAELens folder holds {ConfigFile} and {WeightsFile}");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new CheckpointFormatException(path, null, "the file is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, $"the file is not valid JSON ({e.Message})", e);
        }
        return FromJson(root, path);
    }

    /// <summary>
    /// Loads the SAE in <paramref name="directory"/> onto <paramref name="device"/> (the CPU when null), in the
    /// configuration's dtype.
    /// </summary>
    /// <exception cref="CheckpointFormatException">
    /// A file is missing or malformed; a tensor is missing, of another shape than <c>cfg.json</c> implies, or unknown.
    /// </exception>
    public static SparseAutoencoder Load(string directory, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var cfg = LoadConfig(directory);
        string weights = Path.GetFullPath(Path.Combine(directory, WeightsFile));
        if (!File.Exists(weights))
            throw new CheckpointFormatException(weights, null, $"there is no {WeightsFile} beside {ConfigFile}");
        using var file = SafetensorsFile.Open(weights);
        var expected = new Dictionary<string, long[]>
        {
            ["W_enc"] = [cfg.DIn, cfg.DSae], ["W_dec"] = [cfg.DSae, cfg.DIn], ["b_enc"] = [cfg.DSae], ["b_dec"] = [cfg.DIn],
        };
        if (cfg.Architecture == SaeArchitecture.JumpRelu)
            expected["threshold"] = [cfg.DSae];
        foreach (var (name, shape) in expected)
        {
            if (!file.Contains(name))
                throw new CheckpointFormatException(weights, name, $"the tensor is missing; a {Name(cfg.Architecture)} SAE needs {string.Join(", ", expected.Keys)}");
            var info = file.GetInfo(name);
            if (!info.Shape.SequenceEqual(shape))
                throw new CheckpointFormatException(weights, name,
                    $"its shape is [{string.Join(", ", info.Shape)}]; cfg.json (d_in {cfg.DIn}, d_sae {cfg.DSae}) implies [{string.Join(", ", shape)}]");
        }
        foreach (string name in file.Names)
            if (!expected.ContainsKey(name))
                throw new CheckpointFormatException(weights, name, $"an unknown tensor for a {Name(cfg.Architecture)} SAE (expected {string.Join(", ", expected.Keys)})");
        var sae = new SparseAutoencoder(cfg, device);
        try
        {
            using var noGrad = no_grad();
            foreach (var (name, parameter) in sae.named_parameters())
            {
                using var loaded = file.Load(name, cfg.Dtype, sae.Device);
                parameter.copy_(loaded);
            }
            return sae;
        }
        catch
        {
            sae.Dispose();
            throw;
        }
    }

    private static JsonObject ToJson(SaeConfig cfg, Device device)
    {
        string architecture = Name(cfg.Architecture);
        var metadata = new JsonObject
        {
            ["model_name"] = cfg.ModelName, ["hook_name"] = cfg.HookName, ["hook_layer"] = cfg.HookLayer,
            ["hook_head_index"] = null, ["context_size"] = cfg.ContextSize, ["prepend_bos"] = true,
        };
        var root = new JsonObject
        {
            ["architecture"] = architecture,
            ["d_in"] = cfg.DIn,
            ["d_sae"] = cfg.DSae,
            ["dtype"] = DtypeName(cfg.Dtype),
            ["device"] = device.type == DeviceType.CUDA ? "cuda" : "cpu",
            ["apply_b_dec_to_input"] = cfg.ApplyBDecToInput,
            ["normalize_activations"] = "none",
            ["activation_fn_str"] = cfg.Architecture == SaeArchitecture.TopK ? "topk" : "relu",
            ["activation_fn_kwargs"] = cfg.K is { } k ? new JsonObject { ["k"] = k } : new JsonObject(),
        };
        if (cfg.K is { } topK)
            root["k"] = topK;
        foreach (var (key, value) in metadata)
            root[key] = value?.DeepClone();
        root["metadata"] = metadata;
        return root;
    }

    private static SaeConfig FromJson(JsonObject root, string path)
    {
        var metadata = root["metadata"] as JsonObject;
        JsonNode? Field(string key) => root[key] ?? metadata?[key];
        int RequiredInt(string key)
        {
            var node = Field(key) ?? throw new CheckpointFormatException(path, null, $"the field '{key}' is missing");
            try { return node.GetValue<int>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new CheckpointFormatException(path, null, $"the field '{key}' is {node.ToJsonString()}; expected an integer", e);
            }
        }
        int? OptionalInt(string key)
        {
            var node = Field(key);
            if (node is null) return null;
            try { return node.GetValue<int>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new CheckpointFormatException(path, null, $"the field '{key}' is {node.ToJsonString()}; expected an integer or null", e);
            }
        }
        string? OptionalString(string key) => Field(key) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

        string architectureName = OptionalString("architecture") ?? "standard";
        var architecture = architectureName switch
        {
            "standard" => SaeArchitecture.Standard,
            "topk" => SaeArchitecture.TopK,
            "jumprelu" => SaeArchitecture.JumpRelu,
            _ => throw new CheckpointFormatException(path, null, $"the architecture is '{architectureName}'; expected standard, topk or jumprelu"),
        };
        string normalize = OptionalString("normalize_activations") ?? "none";
        if (normalize != "none")
            throw new CheckpointFormatException(path, null, $"normalize_activations is '{normalize}'; only 'none' is supported");
        int? k = architecture == SaeArchitecture.TopK
            ? OptionalInt("k") ?? (root["activation_fn_kwargs"] is JsonObject kwargs && kwargs["k"] is { } kn ? kn.GetValue<int>() : null)
            : null;
        bool applyBDec = Field("apply_b_dec_to_input") is JsonValue b && b.TryGetValue<bool>(out var flag) ? flag : true;
        var dtype = OptionalString("dtype") is { } d ? ParseDtype(d, path) : ScalarType.Float32;
        var cfg = new SaeConfig
        {
            DIn = RequiredInt("d_in"), DSae = RequiredInt("d_sae"), Architecture = architecture, K = k,
            ApplyBDecToInput = applyBDec, ModelName = OptionalString("model_name"), HookName = OptionalString("hook_name"),
            HookLayer = OptionalInt("hook_layer"), ContextSize = OptionalInt("context_size"), Dtype = dtype,
        };
        try { return cfg.Validate(); }
        catch (ArgumentException e) { throw new CheckpointFormatException(path, null, e.Message, e); }
    }

    private static string Name(SaeArchitecture architecture) => architecture switch
    {
        SaeArchitecture.Standard => "standard",
        SaeArchitecture.TopK => "topk",
        SaeArchitecture.JumpRelu => "jumprelu",
        _ => architecture.ToString().ToLowerInvariant(),
    };

    private static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => "float64", ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => "float32",
    };

    private static ScalarType ParseDtype(string name, string path) => name.Replace("torch.", "") switch
    {
        "float32" or "float" => ScalarType.Float32,
        "float64" or "double" => ScalarType.Float64,
        "bfloat16" => ScalarType.BFloat16,
        "float16" or "half" => ScalarType.Float16,
        _ => throw new CheckpointFormatException(path, null, $"dtype is '{name}'; expected float32, float64, bfloat16 or float16"),
    };
}
