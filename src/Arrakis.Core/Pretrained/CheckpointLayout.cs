using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Pretrained;

/// <summary>
/// A way of laying a <see cref="HookedTransformer"/> out as <c>config.json</c> plus named tensors: one Hugging Face
/// family (<see cref="Families.HfFamily"/>) or Arrakis's own layout (<see cref="NativeLayout"/>).
/// </summary>
internal abstract class CheckpointLayout
{
    /// <summary>The <c>model_type</c> written to and recognised in <c>config.json</c>.</summary>
    public abstract string ModelType { get; }

    /// <summary>A prefix the family's weights carry when saved from the model with a head (<c>transformer.</c>,
    /// <c>model.</c>, <c>gpt_neox.</c>) and lack when saved from the bare base model; both spellings are read.</summary>
    public virtual string BasePrefix => "";

    /// <summary>The architecture and optional tensors a <c>config.json</c> describes.</summary>
    /// <exception cref="Checkpoints.CheckpointFormatException">A field is missing, of the wrong type, or describes an invalid model.</exception>
    /// <exception cref="NotSupportedException">A feature Arrakis does not implement (the message names the field).</exception>
    public abstract HfLayout ReadConfig(HfConfig config);

    /// <summary>The <c>config.json</c> fields for a layout (without <c>model_type</c>, <c>architectures</c>, <c>torch_dtype</c>).</summary>
    public abstract JsonObject WriteConfig(HfLayout layout);

    /// <summary>Every tensor of the layout, with its shape implied by the configuration and the parameters it fills.</summary>
    public abstract IReadOnlyList<TensorMap> Tensors(HfLayout layout, HookedTransformer model);

    /// <summary>The value of <c>architectures</c> in <c>config.json</c>.</summary>
    public abstract string Architecture { get; }

    /// <summary>Whether a tensor in a checkpoint that no map uses may be skipped (non-persistent buffers that old
    /// checkpoints carry; a tied head's duplicate). Anything else unused is an error.</summary>
    public virtual bool IsIgnorable(string name, HfLayout layout) => false;

    /// <summary>
    /// The layout <paramref name="model"/> is written in, and its <c>config.json</c> fields.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model cannot be expressed in this layout; the message says why.</exception>
    public abstract (HfLayout Layout, JsonObject Config) Describe(HookedTransformer model);

    /// <summary>The name without <see cref="BasePrefix"/>.</summary>
    public string StripPrefix(string name) =>
        BasePrefix.Length > 0 && name.StartsWith(BasePrefix, StringComparison.Ordinal) ? name[BasePrefix.Length..] : name;

    /// <summary>A <c>config.json</c> object as the reader sees it.</summary>
    protected static HfConfig AsConfig(JsonObject json) =>
        new(JsonSerializer.SerializeToElement(json, Util.CoreJsonContext.Default.JsonObject), "config.json");

    /// <summary>
    /// Checks that every parameter of <paramref name="model"/> the maps do not cover is zero (biases a family does not
    /// have), so writing the maps loses nothing.
    /// </summary>
    protected void CheckUncoveredAreZero(HookedTransformer model, IReadOnlyList<TensorMap> maps)
    {
        // A tied W_U is not written, but the writer has checked that it equals W_Eᵀ exactly.
        var covered = maps.SelectMany(m => m.TransposedCopy is { } tied ? [.. m.Targets, tied] : m.Targets).ToHashSet(StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (covered.Contains(name))
                continue;
            if (parameter.count_nonzero().item<long>() != 0)
                throw new InvalidOperationException(
                    $"Cannot save this model in the {ModelType} layout: its parameter '{name}' is not zero, and {ModelType} " +
                    $"checkpoints have no tensor for it. Save it in Arrakis's native layout instead (family \"{NativeLayout.Name}\").");
        }
    }
}
