using Arrakis.Surgery;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Surgery;

/// <summary>The built-in <c>surgery</c> tool (see <see cref="IModelSurgery"/>, docs/tools/surgery.md): thin over <see cref="ModelSurgery"/>.</summary>
public sealed class ModelSurgeryTool : IModelSurgery, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public ModelSurgeryTool() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public ModelSurgeryTool(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new ModelSurgeryTool(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("surgery");

    /// <inheritdoc />
    public HookedTransformer GetModel() => Model;

    /// <inheritdoc />
    public SurgeryScope AblateHeads(IReadOnlyList<HeadIndex> heads, AblationKind kind = AblationKind.Zero, Tensor? referenceIds = null) =>
        ModelSurgery.AblateHeads(Model, heads, kind, referenceIds is null ? null : ToolArguments.Tokens(referenceIds, Model.Cfg, nameof(referenceIds)));

    /// <inheritdoc />
    public SurgeryScope DeleteLayers(IReadOnlyList<int> indices) => ModelSurgery.DeleteLayers(Model, indices);

    /// <inheritdoc />
    public SurgeryScope PermuteLayers(IReadOnlyList<int> indices) => ModelSurgery.PermuteLayers(Model, indices);

    /// <inheritdoc />
    public SurgeryScope ReplaceLayers(IReadOnlyList<int> indices, HookedTransformer donor, IReadOnlyList<int>? donorIndices = null) =>
        ModelSurgery.ReplaceLayers(Model, indices, donor, donorIndices);

    /// <inheritdoc />
    public SurgeryScope ScaleOutput(string hookName, double factor) => ModelSurgery.ScaleOutput(Model, hookName, factor);

    /// <inheritdoc />
    public SurgeryScope ScaleHeadOutput(HeadIndex head, double factor) => ModelSurgery.ScaleHeadOutput(Model, head, factor);

    /// <inheritdoc />
    public SurgeryResult Measure(Func<IModelSurgery, IDisposable> edit, Func<HookedTransformer, double> metric, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(edit);
        return ModelSurgery.Measure(Model, _ => edit(this), metric, description);
    }
}
