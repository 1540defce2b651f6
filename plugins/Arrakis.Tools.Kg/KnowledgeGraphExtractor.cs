using Arrakis.Facts;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Kg;

/// <summary>The built-in <c>kg</c> tool (see <see cref="IKnowledgeGraphExtractor"/>, docs/tools/kg.md): thin over <see cref="KnowledgeGraph"/>.</summary>
public sealed class KnowledgeGraphExtractor : IKnowledgeGraphExtractor, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public KnowledgeGraphExtractor() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public KnowledgeGraphExtractor(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new KnowledgeGraphExtractor(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("kg");

    /// <inheritdoc />
    public KnowledgeGraphExtraction ExtractKnowledgeGraph(KnowledgeWorld world, KnowledgeGraphOptions? options = null) =>
        KnowledgeGraph.Extract(Model, world, options);
}
