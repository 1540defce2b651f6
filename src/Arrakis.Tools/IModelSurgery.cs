using Arrakis.Surgery;
using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// Model surgery (Arrakis <c>ModelSurgery</c>, <c>@exp.use_tools("surgery")</c>): scoped edits — head ablation, skipped,
/// permuted or replaced layers, scaled outputs — each a <see cref="SurgeryScope"/> whose disposal restores the model
/// byte-identical, also when the body throws; <see cref="Measure"/> records a metric before and during an edit and checks
/// every parameter's hash afterwards. Definitions: docs/tools/surgery.md; computation: <see cref="ModelSurgery"/>.
/// </summary>
[Tool("surgery")]
public interface IModelSurgery
{
    /// <summary>The model the edits apply to (Arrakis <c>get_model</c>).</summary>
    HookedTransformer GetModel();

    /// <summary>Heads' outputs z replaced by zero, their mean over <paramref name="referenceIds"/>, or their values on it (resample).</summary>
    SurgeryScope AblateHeads(IReadOnlyList<HeadIndex> heads, AblationKind kind = AblationKind.Zero, Tensor? referenceIds = null);

    /// <summary>Blocks skipped: resid_post = resid_pre (Arrakis <c>delete_layers(indices)</c>).</summary>
    SurgeryScope DeleteLayers(IReadOnlyList<int> indices);

    /// <summary>Position i of the stack runs block <paramref name="indices"/>[i]'s weights (Arrakis <c>permute_layers(indices)</c>).</summary>
    SurgeryScope PermuteLayers(IReadOnlyList<int> indices);

    /// <summary>Blocks take another model's blocks' weights (Arrakis <c>replace_layers(indices, replacements)</c>).</summary>
    SurgeryScope ReplaceLayers(IReadOnlyList<int> indices, HookedTransformer donor, IReadOnlyList<int>? donorIndices = null);

    /// <summary>The activation at a hook point scaled by <paramref name="factor"/>.</summary>
    SurgeryScope ScaleOutput(string hookName, double factor);

    /// <summary>One head's output z_h scaled by <paramref name="factor"/>.</summary>
    SurgeryScope ScaleHeadOutput(HeadIndex head, double factor);

    /// <summary>The metric before and during <paramref name="edit"/>, with every parameter hashed before and after.</summary>
    /// <exception cref="InvalidOperationException">The model was not restored.</exception>
    SurgeryResult Measure(Func<IModelSurgery, IDisposable> edit, Func<HookedTransformer, double> metric, string? description = null);
}
