using System.Text.Json;
using System.Text.Json.Nodes;
using Arrakis.Checkpoints;
using Arrakis.Pretrained;
using Arrakis.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

public partial class HookedTransformer
{
    /// <summary>The family name of Arrakis's native layout for <see cref="SavePretrained"/> (TransformerLens names and shapes,
    /// the whole configuration in <c>config.json</c>); it holds any model, processed weights included.</summary>
    public const string NativeFamily = NativeLayout.Name;

    /// <summary>The Hugging Face <c>model_type</c>s <see cref="FromPretrained"/> reads and <see cref="SavePretrained"/> writes.</summary>
    public static IReadOnlyList<string> PretrainedFamilies { get; } =
        [.. CheckpointLayouts.Families.Select(f => f.ModelType), NativeLayout.Name];

    /// <summary>
    /// Loads a model from a folder laid out as Hugging Face saves it (<c>config.json</c> + <c>model.safetensors</c> or
    /// shards), or in Arrakis's native layout (TransformerLens <c>from_pretrained</c>). The family comes from
    /// <c>config.json</c>'s <c>model_type</c>: gpt2, gpt_neo, gpt_neox, llama, mistral, qwen2, gemma, phi3, stablelm, arrakis.
    /// Nothing is downloaded: <paramref name="folderOrName"/> is a name a registered <see cref="ModelZoo"/> source knows, or a folder.
    /// </summary>
    /// <remarks>
    /// Every tensor is checked (names and shapes against <c>config.json</c>) before any is read; weights are then read
    /// straight into the parameters (tensors that must be split, fused or transposed pass through one temporary each).
    /// The weights are copied into parameters already on <see cref="PretrainedOptions.Device"/> (no CPU copy of the model), then the weights are processed as
    /// <see cref="PretrainedOptions.ProcessWeights"/> says (TransformerLens defaults: fold_ln, center_writing_weights,
    /// center_unembed, fold_value_biases), and the folder's tokenizer, if any, becomes <see cref="Tokenizer"/>.
    /// </remarks>
    /// <example><code>
    /// using var model = HookedTransformer.FromPretrained("/models/gpt2");                    // processed, as TransformerLens
    /// using var raw = HookedTransformer.FromPretrained("/models/gpt2", new PretrainedOptions { ProcessWeights = ProcessWeightsOptions.None });
    /// var logits = model.Forward(model.ToTokens("Hello world"));
    /// </code></example>
    /// <exception cref="DirectoryNotFoundException">Neither a known name nor a folder.</exception>
    /// <exception cref="CheckpointFormatException">A malformed file; missing or unexpected tensors (all named); a shape that does not match config.json.</exception>
    /// <exception cref="NotSupportedException">An unknown <c>model_type</c> (the message lists the supported ones) or a feature Arrakis does not implement.</exception>
    public static HookedTransformer FromPretrained(string folderOrName, PretrainedOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folderOrName);
        options ??= PretrainedOptions.Default;
        var (folder, zooName) = ResolvePretrainedFolder(folderOrName);

        // Mapped weights only make sense for a model that stays on the CPU; for another device they are copied there anyway.
        bool memoryMap = options.MemoryMap && DeviceResolver.Resolve(options.Device).type == DeviceType.CPU;
        using var checkpoint = CheckpointFolder.Open(folder, memoryMap);
        string configPath = Path.Combine(checkpoint.Directory, CheckpointFolder.ConfigFileName);
        if (checkpoint.Config is not { } root)
            throw new CheckpointFormatException(configPath, null, "there is no config.json, so the model's architecture is unknown");
        var config = new HfConfig(root, configPath);
        string modelType = config.OptString("model_type")
                           ?? throw config.Error($"'model_type' is not set; supported: {CheckpointLayouts.Supported}");
        var layout = CheckpointLayouts.ForModelType(modelType)
                     ?? throw new NotSupportedException($"{configPath}: model_type '{CheckpointFormatException.Shorten(modelType, 80)}' is not supported; supported: {CheckpointLayouts.Supported}.");
        var spec = layout.ReadConfig(config);
        string name = zooName ?? (layout is NativeLayout ? spec.Cfg.ModelName : Path.GetFileName(checkpoint.Directory));
        // The parameters are allocated on the target device first, so the weights are copied from the checkpoint straight
        // there: no CPU copy of the whole model is made and then moved.
        spec = spec with { Cfg = spec.Cfg with { Dtype = options.Dtype, Device = options.Device, ModelName = name } };

        var model = new HookedTransformer(spec.Cfg, options.HookOptions, initialize: false);
        try
        {
            var matched = CheckpointMatcher.Match(checkpoint, layout, spec, layout.Tensors(spec, model));
            WeightTransfer.Import(checkpoint, matched, model, layout.ModelType);
            model.MoveTo(options.Device);
            model.ProcessWeights(options.ProcessWeights);
            if (options.LoadTokenizer && TokenizerLoader.HasTokenizer(checkpoint.Directory))
                model.Tokenizer = TokenizerLoader.FromFolder(checkpoint.Directory);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the model as a folder FromPretrained reads back exactly: <c>config.json</c>, <c>model.safetensors</c>
    /// (sharded with an index above <see cref="SavePretrainedOptions.MaxShardBytes"/>) and the tokenizer's files when
    /// <see cref="Tokenizer"/> came from files. Hugging Face families get their own tensor names and fused/transposed
    /// conventions, so Hugging Face's <c>from_pretrained</c> reads them too. All or nothing: the folder is assembled
    /// next to the target and renamed into place when complete.
    /// </summary>
    /// <param name="folder">The target folder; it must not exist or be empty unless <see cref="SavePretrainedOptions.Overwrite"/>.</param>
    /// <param name="family">
    /// A Hugging Face <c>model_type</c> or <see cref="HookedAutoConfig"/> family name (<c>gpt2</c>, <c>gpt-neox</c>, …),
    /// or <see cref="NativeFamily"/>. Null means the family the model was loaded from (<see cref="HookedTransformerConfig.OriginalArchitecture"/>)
    /// or built as (<see cref="HookedAutoConfig"/>), else the native layout.
    /// </param>
    /// <exception cref="InvalidOperationException">
    /// The family's layout cannot express this model (e.g. after <c>fold_ln</c> the norms have no weights, or a bias the
    /// family lacks is non-zero); the message names what differs. The native layout holds any model.
    /// </exception>
    /// <exception cref="IOException">The folder exists and is not empty, and overwriting was not asked for.</exception>
    public void SavePretrained(string folder, string? family = null, SavePretrainedOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options ??= SavePretrainedOptions.Default;
        if (options.WeightsDtype is { } storage && !IsFloatingPoint(storage))
            throw new ArgumentException($"SavePretrainedOptions.WeightsDtype is {storage}; expected a floating-point dtype (Float16, BFloat16, Float32, Float64).", nameof(options));
        var layout = ChooseLayout(family);
        var (spec, fields) = layout.Describe(this);
        var maps = layout.Tensors(spec, this);

        var config = new JsonObject { ["architectures"] = new JsonArray(layout.Architecture), ["model_type"] = layout.ModelType };
        foreach (var (key, value) in fields)
            config[key] = value?.DeepClone();
        config["torch_dtype"] = DtypeName(Cfg.Dtype);
        if (Tokenizer is { } tokenizer)
        {
            config["bos_token_id"] = tokenizer.BosTokenId;
            config["eos_token_id"] = tokenizer.EosTokenId;
            if (tokenizer.PadTokenId is { } pad)
                config["pad_token_id"] = pad;
        }
        var tokenizerFiles = options.SaveTokenizer && Tokenizer is { } t ? t.SourceFiles : [];
        foreach (string file in tokenizerFiles)
            if (!File.Exists(file))
                throw new FileNotFoundException($"The tokenizer was loaded from {file}, which no longer exists; set SavePretrainedOptions.SaveTokenizer = false to save without it.", file);

        FolderWriter.Write(folder, options.Overwrite, temp =>
        {
            SafetensorsWriter.WriteAtomically(Path.Combine(temp, CheckpointFolder.ConfigFileName), stream =>
            {
                using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
                config.WriteTo(writer);
            });
            // Hugging Face's loader requires format "pt" in the metadata of safetensors files.
            SafetensorsWriter.SaveSharded(temp, StoredAs(WeightTransfer.Export(this, maps, layout.ModelType), options.WeightsDtype), options.MaxShardBytes,
                new Dictionary<string, string> { ["format"] = "pt" });
            foreach (string file in tokenizerFiles)
                File.Copy(file, Path.Combine(temp, Path.GetFileName(file)));
        });
    }

    /// <summary>The tensors to write, floating-point ones cast to <paramref name="storage"/> when given.</summary>
    private static IEnumerable<SafetensorsWriter.PendingTensor> StoredAs(IEnumerable<SafetensorsWriter.PendingTensor> tensors, ScalarType? storage) =>
        storage is not { } dtype ? tensors : tensors.Select(p => !IsFloatingPoint(p.Dtype) || p.Dtype == dtype ? p : p with
        {
            Dtype = dtype,
            Produce = () =>
            {
                using var value = p.Produce();
                return value.to_type(dtype);
            },
        });

    private static bool IsFloatingPoint(ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    private CheckpointLayout ChooseLayout(string? family)
    {
        if (family is not null)
            return CheckpointLayouts.ForName(family)
                   ?? throw new ArgumentException($"Unknown family '{family}'; supported: {CheckpointLayouts.Supported}.", nameof(family));
        return (Cfg.OriginalArchitecture is { } original ? CheckpointLayouts.ForModelType(original) : null)
               ?? CheckpointLayouts.Families.FirstOrDefault(f => f.AutoConfigName == Cfg.ModelName)
               ?? (CheckpointLayout)CheckpointLayouts.Native;
    }

    private static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float64 => "float64",
        _ => "float32",
    };

    /// <summary>A registered source's folder for the name, else the name as an existing folder.</summary>
    private static (string Folder, string? ZooName) ResolvePretrainedFolder(string folderOrName)
    {
        if (ModelZoo.TryResolve(folderOrName) is { } zooFolder)
            return (zooFolder, folderOrName);
        if (Directory.Exists(folderOrName))
            return (Path.GetFullPath(folderOrName), null);
        var known = ModelZoo.KnownNames;
        string zoo = known.Count > 0 ? $" (registered names: {string.Join(", ", known)})" : " (no model zoo is registered)";
        throw new DirectoryNotFoundException(
            $"'{folderOrName}' is neither a model folder nor a registered model name{zoo}. Arrakis never downloads: fetch the " +
            "model first (e.g. `huggingface-cli download <repo> --local-dir <folder>`, safetensors weights) and pass the folder.");
    }

    /// <summary>Moves the parameters to <paramref name="choice"/>'s device and records it in <see cref="Cfg"/>.</summary>
    private void MoveTo(DeviceChoice choice)
    {
        var device = DeviceResolver.Resolve(choice);
        if (device.type != Device.type || device.index != Device.index)
            this.to(device);
        Device = device;
        Cfg = Cfg with { Device = choice };
    }
}
