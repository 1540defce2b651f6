namespace Arrakis.Bench.Tools;

/// <summary>
/// A view of a tool registry that hands out every <see cref="IModelTool"/> bound to a model
/// (<see cref="IModelTool.WithModel"/>), on every lookup; other tools pass through unchanged. The model is asked for
/// only when a model tool is looked up, so listing the tools never loads it. Scripts get their <c>Tools</c> through
/// this view; a bench binds its own tools the same way.
/// </summary>
/// <param name="registry">The underlying registry (the plugin host's); its errors pass through.</param>
/// <param name="model">The model to bind to (called on each lookup of a model tool).</param>
public sealed class ModelBoundTools(IToolRegistry registry, Func<HookedTransformer> model) : IToolRegistry
{
    private readonly IToolRegistry _registry = registry ?? throw new ArgumentNullException(nameof(registry));
    private readonly Func<HookedTransformer> _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public IReadOnlyList<string> Names => _registry.Names;

    /// <inheritdoc />
    public TContract Get<TContract>(string name) where TContract : class
    {
        object tool = Get(name);
        return tool as TContract ?? throw new InvalidCastException(
            $"Tool '{name}' is a {tool.GetType().FullName}, which does not implement {typeof(TContract).FullName}.");
    }

    /// <inheritdoc />
    public object Get(string name)
    {
        object tool = _registry.Get(name);
        return tool is IModelTool modelTool ? modelTool.WithModel(_model()) : tool;
    }
}
