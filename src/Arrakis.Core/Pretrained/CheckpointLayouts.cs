using Arrakis.Pretrained.Families;

namespace Arrakis.Pretrained;

/// <summary>The layouts Arrakis reads and writes, found by <c>model_type</c> or family name.</summary>
internal static class CheckpointLayouts
{
    /// <summary>The Hugging Face families, in the order error messages list them.</summary>
    public static readonly IReadOnlyList<HfFamily> Families =
    [
        new Gpt2Family(), new GptNeoFamily(), new GptNeoxFamily(), new LlamaFamily(), new MistralFamily(),
        new Qwen2Family(), new GemmaFamily(), new Phi3Family(), new StableLmFamily(),
    ];

    /// <summary>Arrakis's own layout.</summary>
    public static readonly NativeLayout Native = new();

    /// <summary>The supported <c>model_type</c> values, for messages.</summary>
    public static string Supported =>
        string.Join(", ", Families.Select(f => f.ModelType)) + $", {NativeLayout.Name} (Arrakis's native layout)";

    /// <summary>The layout for a <c>config.json</c> <c>model_type</c> (exact, as Hugging Face writes it), or null.</summary>
    public static CheckpointLayout? ForModelType(string modelType) =>
        modelType == NativeLayout.Name ? Native : Families.FirstOrDefault(f => f.ModelType == modelType);

    /// <summary>
    /// The layout for a name given by a caller: a <c>model_type</c> or a <see cref="HookedAutoConfig"/> family name,
    /// case-insensitive, with '-' and '_' alike (<c>gpt-neox</c>, <c>GPT_NEOX</c>, <c>stable-lm</c>, <c>native</c>).
    /// </summary>
    public static CheckpointLayout? ForName(string name)
    {
        static string Key(string s) => s.Trim().ToLowerInvariant().Replace("-", "").Replace("_", "");
        string key = Key(name);
        if (key is "arrakis" or "native")
            return Native;
        return Families.FirstOrDefault(f => Key(f.ModelType) == key || Key(f.AutoConfigName) == key)
               ?? (key == "pythia" ? Families.First(f => f is GptNeoxFamily) : null);
    }
}
