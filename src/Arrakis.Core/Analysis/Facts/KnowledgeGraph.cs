using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Facts;

/// <summary>Options of <see cref="KnowledgeGraph.Extract"/>.</summary>
public sealed record KnowledgeGraphOptions
{
    /// <summary>Triples whose confidence is below this are not extracted (default 0: every prediction).</summary>
    public double MinConfidence { get; init; }

    /// <summary>Locate each extracted fact with the causal tracer (default true).</summary>
    public bool Locate { get; init; } = true;

    /// <summary>The state whose grid's peak is the storage location (default MLP outputs).</summary>
    public TraceState LocateState { get; init; } = TraceState.Mlp;

    /// <summary>Causal-tracing options of the location (its States and DirectEffect are overridden); default 10 samples, seed 0.</summary>
    public CausalTraceOptions Trace { get; init; } = CausalTraceOptions.Default;
}

/// <summary>One extracted fact: the model's top next token after the prompt, its probability, and where it is stored.</summary>
/// <param name="Triple">(subject, relation, predicted object).</param>
/// <param name="Confidence">softmax probability of the object.</param>
/// <param name="Correct">Whether the triple is in the reference (null without one).</param>
/// <param name="PeakLayer">Layer of the largest indirect effect of the located state (null when not located).</param>
/// <param name="PeakPosition">Its position.</param>
/// <param name="PeakEffect">That indirect effect, P*(o | clean h) − P*(o).</param>
public sealed record ExtractedFact(Triple Triple, double Confidence, bool? Correct, int? PeakLayer, int? PeakPosition, double? PeakEffect);

/// <summary>The extracted knowledge graph and, with a reference, its precision and recall.</summary>
/// <param name="Facts">Every extracted triple (confidence ≥ the threshold).</param>
/// <param name="Queried">Subject × relation prompts run.</param>
/// <param name="Precision">Correct extracted / extracted (null without a reference).</param>
/// <param name="Recall">Correct extracted / reference triples (null without a reference).</param>
public sealed record KnowledgeGraphExtraction(IReadOnlyList<ExtractedFact> Facts, int Queried, double? Precision, double? Recall);

/// <summary>
/// Knowledge-graph extraction: for every subject s and relation r of a <see cref="KnowledgeWorld"/>, the model's most
/// probable next token o after r's prompt for s, with its probability, gives the triple (s, r, o); against reference
/// triples R, precision = |E ∩ R| / |E| and recall = |E ∩ R| / |R| over the extracted set E. Each extracted fact is
/// located by causal tracing (<see cref="CausalTracing.Trace"/> of o, subject corrupted): the (layer, position) of the
/// largest indirect effect of the chosen state. (Arrakis's <c>KnowledgeGraphExtractor</c> took singular vectors of W_Q·W_Kᵀ
/// and thresholded embedding projections, reading no facts.)
/// </summary>
public static class KnowledgeGraph
{
    /// <summary>Extracts, scores and locates the triples of <paramref name="world"/>.</summary>
    /// <exception cref="ArgumentException">No subjects or relations, a template without <c>{S}</c>, or a subject the tokenizer splits differently in a prompt.</exception>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public static KnowledgeGraphExtraction Extract(HookedTransformer model, KnowledgeWorld world, KnowledgeGraphOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(world);
        options ??= new KnowledgeGraphOptions();
        if (world.Subjects is null || world.Subjects.Count == 0)
            throw new ArgumentException("world.Subjects is empty; expected at least one subject.", nameof(world));
        if (world.Relations is null || world.Relations.Count == 0)
            throw new ArgumentException("world.Relations is empty; expected at least one relation.", nameof(world));
        foreach (var r in world.Relations)
            if (!r.Template.Contains("{S}", StringComparison.Ordinal))
                throw new ArgumentException($"relation '{r.Name}' has the template '{r.Template}' without {{S}}; expected the subject's place marked {{S}}.", nameof(world));
        if (!(options.MinConfidence >= 0 && options.MinConfidence <= 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.MinConfidence, $"options.MinConfidence is {options.MinConfidence}; expected [0, 1].");

        var reference = world.Reference is null ? null : new HashSet<Triple>(world.Reference);
        var facts = new List<ExtractedFact>();
        int queried = 0;
        foreach (var relation in world.Relations)
            foreach (var subject in world.Subjects)
            {
                queried++;
                using var scope = NewDisposeScope();
                var prompt = SubjectPrompt.Find(model, relation.Prompt(subject), subject);
                long obj;
                double confidence;
                using (no_grad())
                {
                    var probs = model.Forward(prompt.Tokens)[0, -1].to(float32).softmax(-1);
                    obj = probs.argmax().cpu().item<long>();
                    confidence = probs[obj].cpu().item<float>();
                }
                if (confidence < options.MinConfidence)
                    continue;
                var triple = new Triple(subject, relation.Name, model.ToStrTokens([obj])[0].Trim());
                int? layer = null, position = null;
                double? effect = null;
                if (options.Locate)
                {
                    var trace = CausalTracing.Trace(model, prompt.Tokens, prompt.Start, prompt.End, obj,
                        options.Trace with { States = [options.LocateState], DirectEffect = false, Positions = null });
                    var grid = trace.Grids[0];
                    double best = double.NegativeInfinity;
                    for (int l = 0; l < grid.Restored.Length; l++)
                        for (int c = 0; c < grid.Positions.Count; c++)
                            if (grid.IndirectEffect(l, c) > best)
                                (best, layer, position) = (grid.IndirectEffect(l, c), l, grid.Positions[c]);
                    effect = best;
                }
                facts.Add(new ExtractedFact(triple, confidence, reference?.Contains(triple), layer, position, effect));
            }
        double? precision = null, recall = null;
        if (reference is not null)
        {
            int correct = facts.Count(f => f.Correct == true);
            precision = facts.Count == 0 ? 0 : correct / (double)facts.Count;
            recall = reference.Count == 0 ? 0 : correct / (double)reference.Count;
        }
        return new KnowledgeGraphExtraction(facts, queried, precision, recall);
    }
}
