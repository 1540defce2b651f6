using Arrakis.Facts;
using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// The causal tracer (Arrakis <c>CausalTracer</c>, <c>@exp.use_tools("causal")</c>): ROME's causal tracing of where a
/// fact is recalled, and neuron interventions. Definitions and formulas: docs/tools/causal.md; computation:
/// <see cref="CausalTracing"/> and <see cref="NeuronIntervention"/>.
/// </summary>
[Tool("causal")]
public interface ICausalTracer
{
    /// <summary>
    /// Causal tracing of one prompt (Arrakis <c>trace_token_probability(input_ids, target_idx)</c>, which differentiated a
    /// detached clone and always failed): the subject's token embeddings get Gaussian noise (σ = 3 × the embeddings' std by
    /// default), then each state — residual stream, MLP output, attention output, at each (layer, position), MLP and
    /// attention optionally over a window of layers — is restored to its clean value; each grid cell is P*(o | clean h),
    /// averaged over seeded noise samples. Also the clean P(o), corrupted P*(o), total effect and (option) direct effects.
    /// </summary>
    /// <param name="inputIds">One prompt, [pos] or [1, pos].</param>
    /// <param name="targetIdx">The correct object's token id.</param>
    /// <param name="subjectStart">First subject position.</param>
    /// <param name="subjectEnd">One past the last subject position.</param>
    /// <param name="options">Samples (10), seed (0), σ, window (1), states, positions, direct effects, batching.</param>
    /// <exception cref="ArgumentException">More than one prompt, or malformed ids.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Span, target or option out of range.</exception>
    CausalTraceResult TraceTokenProbability(Tensor inputIds, long targetIdx, int subjectStart, int subjectEnd, CausalTraceOptions? options = null);

    /// <summary>
    /// <see cref="TraceTokenProbability"/> of a text prompt, with the subject found in it by the model's tokenizer
    /// (<see cref="SubjectPrompt.Find"/>) and the target given as text (one token).
    /// </summary>
    /// <exception cref="ArgumentException">The subject is not in the prompt, or the target is not a single token.</exception>
    CausalTraceResult TraceFact(string prompt, string subject, string target, CausalTraceOptions? options = null);

    /// <summary>
    /// P*(o) with every listed (hook, position) restored at once to its clean value in the corrupted run, beside P(o) and
    /// P*(o). Restoring nothing gives P*(o); restoring <c>hook_embed</c> at the subject positions gives P(o).
    /// </summary>
    RestorationResult Restore(Tensor inputIds, long targetIdx, int subjectStart, int subjectEnd, IReadOnlyList<Restoration> restorations,
        CausalTraceOptions? options = null);

    /// <summary>
    /// Neuron intervention (Arrakis <c>intervene_on_neuron(input_ids, layer_idx, neuron_idx, scale=0)</c>): MLP neurons'
    /// activations (<c>blocks.{layer}.mlp.hook_post</c>) scaled by <paramref name="scale"/>, or set to
    /// <paramref name="setTo"/> when given, at <paramref name="positions"/> (all when null); the chosen tokens' logits at
    /// <paramref name="readPosition"/> before and after, averaged over the batch.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Layer, neuron, token or position out of range.</exception>
    /// <exception cref="ArgumentException">No neurons or targets, or a neuron named twice.</exception>
    NeuronInterventionEffect InterveneOnNeuron(Tensor inputIds, int layerIdx, IReadOnlyList<int> neuronIdx, IReadOnlyList<long> targetTokens,
        double scale = 0, double? setTo = null, IReadOnlyList<int>? positions = null, int readPosition = -1);
}
