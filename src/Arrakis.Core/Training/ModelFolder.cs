using System.Text.Json.Nodes;
using Arrakis.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Training;

/// <summary>
/// An Arrakis-native model folder in the Hugging Face layout: <c>config.json</c> (<see cref="ModelConfigJson"/>), the weights
/// under TransformerLens names (<see cref="WeightStore"/>), and a word-level <c>tokenizer.json</c> with
/// <c>tokenizer_config.json</c>. This is what <c>arrakis train</c> writes and what the model zoo ships.
/// </summary>
public static class ModelFolder
{
    /// <summary>The configuration file name.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>The tokenizer file name.</summary>
    public const string TokenizerFileName = "tokenizer.json";

    /// <summary>The tokenizer settings file name (special tokens, as Hugging Face writes it).</summary>
    public const string TokenizerConfigFileName = "tokenizer_config.json";

    /// <summary>
    /// Writes <paramref name="model"/> (and <paramref name="tokenizer"/>) into <paramref name="directory"/>, creating it.
    /// Weights are stored as <paramref name="storageDtype"/> (float32 or float16; loading converts back to the model's dtype).
    /// </summary>
    public static void Save(string directory, HookedTransformer model, WordLevelTokenizer? tokenizer = null,
        ScalarType storageDtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (storageDtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"storage dtype {storageDtype} is not float32, float16 or bfloat16.", nameof(storageDtype));
        Directory.CreateDirectory(directory);
        var extra = new Dictionary<string, JsonNode?>();
        if (tokenizer is not null && tokenizer.SpecialTokens.TryGetValue("<|endoftext|>", out int eot))
        {
            extra["bos_token_id"] = eot;
            extra["eos_token_id"] = eot;
            extra["pad_token_id"] = eot;
        }
        File.WriteAllText(Path.Combine(directory, ConfigFileName), ModelConfigJson.Write(model.Cfg, DtypeName(storageDtype), extra) + "\n");
        WeightStore.Save(directory, model, storageDtype);
        if (tokenizer is not null)
        {
            tokenizer.Save(Path.Combine(directory, TokenizerFileName));
            var special = tokenizer.SpecialTokens.Keys.FirstOrDefault();
            var settings = new JsonObject
            {
                ["tokenizer_class"] = "PreTrainedTokenizerFast",
                ["model_max_length"] = model.Cfg.NCtx,
                ["bos_token"] = special,
                ["eos_token"] = special,
                ["pad_token"] = special,
                ["unk_token"] = tokenizer.UnknownToken,
            };
            File.WriteAllText(Path.Combine(directory, TokenizerConfigFileName), settings.ToJsonString(new() { WriteIndented = true }) + "\n");
        }
    }

    /// <summary>Reads the configuration of a folder.</summary>
    /// <exception cref="FileNotFoundException">No <c>config.json</c>.</exception>
    /// <exception cref="FormatException">The configuration is malformed.</exception>
    public static HookedTransformerConfig ReadConfig(string directory)
    {
        string path = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{Path.GetFullPath(directory)}: no {ConfigFileName}; not a model folder.", path);
        return ModelConfigJson.Read(File.ReadAllText(path), path);
    }

    /// <summary>Builds the model a folder describes and loads its weights.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="device">Where to put the model.</param>
    /// <param name="dtype">The model's dtype (weights are converted from their storage dtype).</param>
    public static HookedTransformer Load(string directory, DeviceChoice device = DeviceChoice.Cpu, ScalarType dtype = ScalarType.Float32)
    {
        var cfg = ReadConfig(directory) with { Device = device, Dtype = dtype };
        var model = new HookedTransformer(cfg);
        try
        {
            WeightStore.LoadInto(directory, model);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The folder's word-level tokenizer.</summary>
    /// <exception cref="FileNotFoundException">No <c>tokenizer.json</c>.</exception>
    public static WordLevelTokenizer LoadTokenizer(string directory)
    {
        string path = Path.Combine(directory, TokenizerFileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{Path.GetFullPath(directory)}: no {TokenizerFileName}.", path);
        return WordLevelTokenizer.FromFile(path);
    }

    internal static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float64 => "float64",
        _ => t.ToString().ToLowerInvariant(),
    };
}

/// <summary>
/// The one place that decides how weights are written to and read from a model folder (the seam between training and the
/// checkpoint format).
/// </summary>
/// <remarks>
/// TEMPORARY: until the safetensors reader/writer (branch <c>checkpoints</c>) is on main, weights are written with
/// TorchSharp's own <c>Module.save</c> format as <c>model.torchsharp.bin</c> (float32 only). Switching to
/// <c>model.safetensors</c> changes only this class.
/// </remarks>
internal static class WeightStore
{
    /// <summary>The weights file name inside a model folder.</summary>
    internal const string FileName = "model.torchsharp.bin";

    internal static void Save(string directory, HookedTransformer model, ScalarType storageDtype)
    {
        // TorchSharp's format stores the parameters as they are; storage dtype conversion arrives with safetensors.
        string temp = Path.Combine(directory, $".{FileName}.{Guid.NewGuid():N}.tmp");
        model.save(temp);
        File.Move(temp, Path.Combine(directory, FileName), overwrite: true);
    }

    internal static void LoadInto(string directory, HookedTransformer model)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{Path.GetFullPath(directory)}: no {FileName}.", path);
        model.load(path, strict: true);
    }
}
