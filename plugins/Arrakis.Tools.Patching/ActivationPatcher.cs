using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Patching;

/// <summary>
/// The built-in <c>patching</c> tool (see <see cref="IActivationPatcher"/> and docs/tools/patching.md). Thin: exact
/// patching is <see cref="ActivationPatching"/>, attribution patching <see cref="AttributionPatching"/> and
/// <see cref="EdgeAttributionPatching"/>; TL's <c>get_act_patch_*</c> family comes with the contract.
/// </summary>
public sealed class ActivationPatcher : IActivationPatcher, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public ActivationPatcher() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public ActivationPatcher(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new ActivationPatcher(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("patching");

    /// <summary>value[i] = mean_b metric(run patched at index set i)_b, every patch a real forward pass (batched).</summary>
    public PatchingTable GenericActivationPatch(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, string activationName,
        IReadOnlyList<PatchAxis> indexAxes, PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null)
    {
        var (clean, corrupted) = Tokens(cleanIds, corruptedIds);
        return PatchingTable.From(ActivationPatching.GenericActivationPatch(Model, clean, corrupted, metric, activationName, indexAxes, direction, options));
    }

    /// <summary>baseline + Σ (a_source − a_target)·∂metric/∂a (AtP), the softmax exact for q/k (QK fix), Σ_ℓ |AtP_ℓ|/(L−1) (GradDrop).</summary>
    public PatchingTable AttributionPatch(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric, string activationName,
        IReadOnlyList<PatchAxis> indexAxes, PatchDirection direction = PatchDirection.Denoising, AttributionOptions? options = null)
    {
        var (clean, corrupted) = Tokens(cleanIds, corruptedIds);
        return PatchingTable.From(AttributionPatching.Run(Model, clean, corrupted, metric, activationName, indexAxes, direction, options));
    }

    /// <summary>score(u → v) = Σ (w′_u − w_u)·∂metric/∂(input of v), gradients averaged over interpolated embeddings for EAP-IG.</summary>
    public EdgeAttributionTable EdgeAttributionPatch(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Noising, int integratedGradientSteps = 0)
    {
        var (clean, corrupted) = Tokens(cleanIds, corruptedIds);
        return EdgeAttributionTable.From(EdgeAttributionPatching.Run(Model, clean, corrupted, metric, direction, integratedGradientSteps));
    }

    /// <summary>resid_pre, attn_out and (with MLPs) mlp_out by [layer, pos].</summary>
    public IReadOnlyList<PatchingTable> GetActPatchBlockEvery(Tensor cleanIds, Tensor corruptedIds, Func<Tensor, Tensor> metric,
        PatchDirection direction = PatchDirection.Denoising, PatchingOptions? options = null)
    {
        var (clean, corrupted) = Tokens(cleanIds, corruptedIds);
        return ActivationPatching.GetActPatchBlockEvery(Model, clean, corrupted, metric, direction, options).Select(PatchingTable.From).ToList();
    }

    private (Tensor Clean, Tensor Corrupted) Tokens(Tensor cleanIds, Tensor corruptedIds)
    {
        var cfg = Model.Cfg;
        var clean = ToolArguments.Tokens(cleanIds, cfg, nameof(cleanIds));
        var corrupted = ToolArguments.Tokens(corruptedIds, cfg, nameof(corruptedIds));
        if (!corrupted.shape.SequenceEqual(clean.shape))
            throw new ArgumentException(
                $"corruptedIds has shape [{string.Join(", ", corrupted.shape)}]; it must match cleanIds [{string.Join(", ", clean.shape)}]: " +
                "a patch copies activations position by position (choose corruptions of the same length).", nameof(corruptedIds));
        return (clean, corrupted);
    }
}
