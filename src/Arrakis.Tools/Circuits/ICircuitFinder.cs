using Arrakis.Circuits;
using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// Automatic circuit discovery and evaluation (docs/tools/circuits.md): EAP / EAP-IG ranking (approximate scores) with top-k or a
/// threshold, ACDC greedy pruning with exact patching, and exact evaluation of any circuit by edge-level patching (faithfulness,
/// completeness). The graph is the <c>patching</c> tool's edge graph (<see cref="EdgeAttributionPatching"/>): input, heads' q/k/v
/// inputs and outputs, MLPs, logits. Results are Core's <see cref="Circuit"/> (JSON, Graphviz DOT, a compact table).
/// </summary>
/// <remarks>
/// Every method takes the clean token ids [batch, pos], a <see cref="Corruption"/> (a paired corrupted prompt, a mean over a
/// reference batch, or a resample from it) and a metric, logits [batch, pos, d_vocab] → one value per row [batch], averaged over
/// the batch. The registry holds an unbound prototype; get the tool from a bench or a script's <c>Tools</c>.
/// </remarks>
[Tool("circuits")]
public interface ICircuitFinder
{
    /// <summary>The model's whole graph: every edge, score 0 (the edges a circuit chooses from).</summary>
    IReadOnlyList<GraphEdge> Graph();

    /// <summary>
    /// EAP (<paramref name="integratedGradientSteps"/> = 0) or EAP-IG discovery: every edge scored by attribution (noising,
    /// <b>approximate</b>), the <paramref name="topK"/> of largest |score| or those with |score| ≥ <paramref name="threshold"/> kept
    /// (exactly one of the two), dangling edges pruned, then evaluated exactly.
    /// </summary>
    Circuit DiscoverEap(Tensor cleanIds, Corruption corruption, Func<Tensor, Tensor> metric, int? topK = null, double? threshold = null, int integratedGradientSteps = 0);

    /// <summary>
    /// ACDC (Conmy et al. 2023) with exact edge patching: from the logits backwards, each edge is removed when the metric moves by
    /// less than <paramref name="threshold"/> × |M(model) − M(corrupted)|; one forward pass per edge tried.
    /// </summary>
    Circuit DiscoverAcdc(Tensor cleanIds, Corruption corruption, Func<Tensor, Tensor> metric, double threshold = 0.02);

    /// <summary>Faithfulness and completeness of the circuit of <paramref name="edges"/> (matched by name), by exact edge patching, batched.</summary>
    CircuitEvaluation Evaluate(Tensor cleanIds, Corruption corruption, Func<Tensor, Tensor> metric, IEnumerable<GraphEdge> edges);
}
