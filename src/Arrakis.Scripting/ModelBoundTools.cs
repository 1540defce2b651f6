namespace Arrakis.Scripting;

/// <summary>
/// The script's <see cref="ScriptGlobals.Tools"/>: the plugin host's registry, with every tool that implements
/// <see cref="IModelTool"/> bound to the script's <see cref="ScriptGlobals.Model"/> on each lookup (as the bench does
/// for <c>[UseTools]</c>), so <c>Tools.Get&lt;IResidualDecomposer&gt;("decomposer")</c> works on <c>--model</c>. Listing
/// names never loads the model; looking up a model tool does.
/// </summary>
internal sealed class ModelBoundTools(IToolRegistry registry, Func<HookedTransformer> model) : IToolRegistry
{
    public IReadOnlyList<string> Names => registry.Names;

    public TContract Get<TContract>(string name) where TContract : class
    {
        object tool = Get(name);
        return tool as TContract ?? throw new InvalidCastException(
            $"Tool '{name}' is a {tool.GetType().FullName}, which does not implement {typeof(TContract).FullName}.");
    }

    public object Get(string name) => registry.Get(name) is IModelTool tool ? tool.WithModel(model()) : registry.Get(name);
}
