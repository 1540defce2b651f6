using Arrakis.Circuits;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Circuits;

/// <summary>
/// The built-in <c>circuits</c> tool (see <see cref="ICircuitFinder"/> and docs/tools/circuits.md). Thin: exact evaluation is
/// <see cref="CircuitPatcher"/>, discovery <see cref="CircuitDiscovery"/>.
/// </summary>
public sealed class CircuitFinder : ICircuitFinder, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public CircuitFinder() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public CircuitFinder(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new CircuitFinder(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("circuits");

    /// <summary>Every edge u → v whose writer runs before its reader.</summary>
    public IReadOnlyList<GraphEdge> Graph() => CircuitGraph.Of(Model.Cfg).Edges;

    /// <summary>Top-k or thresholded |EAP| / |EAP-IG| scores, pruned, evaluated exactly.</summary>
    public Circuit DiscoverEap(Tensor cleanIds, Corruption corruption, Func<Tensor, Tensor> metric, int? topK = null, double? threshold = null, int integratedGradientSteps = 0)
    {
        var clean = ToolArguments.Tokens(cleanIds, Model.Cfg, nameof(cleanIds));
        using var patcher = new CircuitPatcher(Model, clean, corruption, metric);
        return CircuitDiscovery.Eap(patcher, Model, clean, metric, topK, threshold, integratedGradientSteps);
    }

    /// <summary>Greedy pruning: remove e when |M(C \ e) − M(C)| &lt; τ·|M(model) − M(∅)|.</summary>
    public Circuit DiscoverAcdc(Tensor cleanIds, Corruption corruption, Func<Tensor, Tensor> metric, double threshold = 0.02)
    {
        var clean = ToolArguments.Tokens(cleanIds, Model.Cfg, nameof(cleanIds));
        using var patcher = new CircuitPatcher(Model, clean, corruption, metric);
        return CircuitDiscovery.Acdc(patcher, Model, threshold);
    }

    /// <summary>(M(C) − M(∅)) / (M(model) − M(∅)) and 1 − the same of the complement.</summary>
    public CircuitEvaluation Evaluate(Tensor cleanIds, Corruption corruption, Func<Tensor, Tensor> metric, IEnumerable<GraphEdge> edges)
    {
        var clean = ToolArguments.Tokens(cleanIds, Model.Cfg, nameof(cleanIds));
        using var patcher = new CircuitPatcher(Model, clean, corruption, metric);
        return patcher.Evaluate(edges);
    }
}
