using Arrakis.Bench.Plugins;

namespace Arrakis.Tools.Tests;

/// <summary>
/// The plugin host over the built-in folder beside this test assembly (where the built-in tool plugins are deployed), with
/// no environment, configuration file or hot reload, loaded once for all tests.
/// </summary>
public sealed class BuiltInTools : IDisposable
{
    public BuiltInTools()
    {
        var options = PluginHostOptions.Resolve(environment: _ => null);
        options.HotReload = false;
        Host = new PluginHost(options);
        Report = Host.Load();
    }

    public PluginHost Host { get; }

    public PluginLoadReport Report { get; }

    /// <summary>The registry's prototype bound to <paramref name="model"/>, as a bench binds it.</summary>
    public T Bound<T>(string name, HookedTransformer model) where T : class =>
        (T)((IModelTool)Host.Registry.Get(name)).WithModel(model);

    public IResidualDecomposer Decomposer(HookedTransformer model) => Bound<IResidualDecomposer>("decomposer", model);

    public ILogitAttributor Logit(HookedTransformer model) => Bound<ILogitAttributor>("logit", model);

    public IAttentionComposer Composer(HookedTransformer model) => Bound<IAttentionComposer>("composer", model);

    public IActivationPatcher Patching(HookedTransformer model) => Bound<IActivationPatcher>("patching", model);
    public IAttentionTools Attention(HookedTransformer model) => Bound<IAttentionTools>("attention", model);

    public ILens Lens(HookedTransformer model) => Bound<ILens>("lens", model);

    public IReadWriteHeads ReadWrite(HookedTransformer model) => Bound<IReadWriteHeads>("readwrite", model);

    public IResidualTools Residual(HookedTransformer model) => Bound<IResidualTools>("residual", model);

    public ICausalTracer Causal(HookedTransformer model) => Bound<ICausalTracer>("causal", model);

    public IModelSurgery Surgery(HookedTransformer model) => Bound<IModelSurgery>("surgery", model);

    public IKnowledgeProber Knowledge(HookedTransformer model) => Bound<IKnowledgeProber>("knowledge", model);

    public IKnowledgeGraphExtractor Kg(HookedTransformer model) => Bound<IKnowledgeGraphExtractor>("kg", model);
    public ICircuitFinder Circuits(HookedTransformer model) => Bound<ICircuitFinder>("circuits", model);

    public void Dispose() => Host.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ToolsCollection : ICollectionFixture<BuiltInTools>
{
    public const string Name = "built-in tools";
}
