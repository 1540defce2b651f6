using Arrakis.Facts;

namespace Arrakis.Tools;

/// <summary>
/// The knowledge-graph extractor (Arrakis <c>KnowledgeGraphExtractor</c>, <c>@exp.use_tools("kg")</c>): the model's
/// predicted objects for subjects × relations as triples with confidences, precision and recall against a reference
/// world, and each fact's storage location (the causal tracer's peak). Definitions: docs/tools/kg.md; computation:
/// <see cref="KnowledgeGraph"/>.
/// </summary>
[Tool("kg")]
public interface IKnowledgeGraphExtractor
{
    /// <summary>Extracts (subject, relation, top next token) for every subject and relation of <paramref name="world"/>,
    /// scores them against its reference, and locates each with causal tracing.</summary>
    /// <exception cref="ArgumentException">An empty world or a template without <c>{S}</c>.</exception>
    KnowledgeGraphExtraction ExtractKnowledgeGraph(KnowledgeWorld world, KnowledgeGraphOptions? options = null);
}
