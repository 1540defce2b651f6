using System.Text.Json.Nodes;
using Arrakis.Pretrained;
using Arrakis.Tokenizers;

namespace Arrakis.Training;

/// <summary>
/// A trained model as a folder: Arrakis's native layout written by <see cref="HookedTransformer.SavePretrained"/>
/// (<c>config.json</c> with <c>model_type: arrakis</c>, <c>model.safetensors</c> under TransformerLens names), the task's
/// word-level <c>tokenizer.json</c> and <c>tokenizer_config.json</c>, and — for a training checkpoint — the trainer's
/// <c>trainer_state.json</c> and <c>optimizer.bin</c>. <see cref="HookedTransformer.FromPretrained"/> reads it (and its
/// tokenizer); <see cref="Trainer.Resume"/> continues it. This is what <c>arrakis train</c> writes and the zoo ships.
/// </summary>
/// <remarks>The folder is written whole or not at all: assembled beside the target and swapped in when complete, so an
/// existing folder (a previous checkpoint) is replaced as a whole, other files included.</remarks>
public static class TrainingCheckpoint
{
    /// <summary>The tokenizer file name.</summary>
    public const string TokenizerFileName = "tokenizer.json";

    /// <summary>The tokenizer settings file name (special tokens, as Hugging Face writes it).</summary>
    public const string TokenizerConfigFileName = "tokenizer_config.json";

    /// <summary>
    /// Writes <paramref name="model"/> and <paramref name="tokenizer"/> as a model folder at <paramref name="directory"/>,
    /// replacing whatever is there; <paramref name="extraFiles"/> (e.g. trainer state) are written into it first.
    /// </summary>
    public static void Save(string directory, HookedTransformer model, WordLevelTokenizer tokenizer, Action<string>? extraFiles = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        FolderWriter.Write(directory, overwrite: true, temp =>
        {
            var previous = model.Tokenizer;
            model.Tokenizer = TokenizerLoader.FromWordLevel(tokenizer);  // its BOS/EOS/PAD ids go into config.json
            try
            {
                model.SavePretrained(temp, HookedTransformer.NativeFamily, new SavePretrainedOptions { Overwrite = true, SaveTokenizer = false });
            }
            finally
            {
                model.Tokenizer = previous;
            }
            tokenizer.Save(Path.Combine(temp, TokenizerFileName));
            string? eot = tokenizer.TokenToId(TokenizerLoader.Gpt2EndOfText) is not null ? TokenizerLoader.Gpt2EndOfText : null;
            var settings = new JsonObject
            {
                ["tokenizer_class"] = "PreTrainedTokenizerFast",
                ["model_max_length"] = model.Cfg.NCtx,
                ["bos_token"] = eot,
                ["eos_token"] = eot,
                ["pad_token"] = eot,
                ["unk_token"] = tokenizer.UnknownToken,
            };
            File.WriteAllText(Path.Combine(temp, TokenizerConfigFileName), settings.ToJsonString(new() { WriteIndented = true }) + "\n");
            extraFiles?.Invoke(temp);
        });
    }

    /// <summary>Loads a model folder exactly as saved (no weight processing), with its tokenizer as <see cref="HookedTransformer.Tokenizer"/>.</summary>
    public static HookedTransformer Load(string directory) =>
        HookedTransformer.FromPretrained(Path.GetFullPath(directory), new PretrainedOptions { ProcessWeights = ProcessWeightsOptions.None });

    /// <summary>The word-level tokenizer of a model folder.</summary>
    /// <exception cref="FileNotFoundException">No <c>tokenizer.json</c>.</exception>
    public static WordLevelTokenizer LoadTokenizer(string directory)
    {
        string path = Path.Combine(directory, TokenizerFileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{Path.GetFullPath(directory)}: no {TokenizerFileName}.", path);
        return WordLevelTokenizer.FromFile(path);
    }
}
