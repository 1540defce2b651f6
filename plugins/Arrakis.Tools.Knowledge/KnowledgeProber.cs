using Arrakis.Probing;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Knowledge;

/// <summary>The built-in <c>knowledge</c> tool (see <see cref="IKnowledgeProber"/>, docs/tools/knowledge.md): thin over <see cref="LinearProbing"/>.</summary>
public sealed class KnowledgeProber : IKnowledgeProber, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public KnowledgeProber() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public KnowledgeProber(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new KnowledgeProber(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("knowledge");

    /// <inheritdoc />
    public ProbeResult KnowledgeProbe(IReadOnlyList<Tensor> prompts, IReadOnlyList<int> labels, string activation = "resid_post", int position = -1,
        ProbeOptions? options = null, IProgress<ProbeProgress>? progress = null) =>
        LinearProbing.Logistic(Model, prompts, labels, activation, position, options, progress);

    /// <inheritdoc />
    public ProbeResult RegressionProbe(IReadOnlyList<Tensor> prompts, IReadOnlyList<double> targets, string activation = "resid_post", int position = -1,
        ProbeOptions? options = null, IProgress<ProbeProgress>? progress = null) =>
        LinearProbing.Ridge(Model, prompts, targets, activation, position, options, progress);
}
