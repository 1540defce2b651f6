namespace Arrakis.Bench;

/// <summary>
/// The bench's view of its tools: the tools added in code (<see cref="InterpretabilityBench.AddTool{TContract}"/>)
/// over the registry the bench was given (the plugin host's). Not a registry of its own: lookups that miss the
/// custom tools go to the underlying registry, whose errors name the loaded tools and the closest name.
/// A tool that implements <see cref="IModelTool"/> is returned bound to the bench's model
/// (<see cref="IModelTool.WithModel"/>), on every lookup, so a hot-reloaded prototype is bound as soon as it is served.
/// </summary>
internal sealed class BenchTools(IToolRegistry? registry, HookedTransformer model) : IToolRegistry
{
    private readonly Dictionary<string, object> _custom = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
            {
                return _custom.Keys.Concat(registry?.Names ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            }
        }
    }

    public void Add(string name, object tool)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(tool);
        lock (_gate) _custom[name] = tool;
    }

    public TContract Get<TContract>(string name) where TContract : class
    {
        object tool = Get(name);
        return tool as TContract ?? throw new InvalidCastException(
            $"Tool '{name}' is a {tool.GetType().FullName}, which does not implement {typeof(TContract).FullName}.");
    }

    public object Get(string name) => Bind(Find(name));

    private object Bind(object tool) => tool is IModelTool modelTool ? modelTool.WithModel(model) : tool;

    private object Find(string name)
    {
        lock (_gate)
        {
            if (_custom.TryGetValue(name, out object? tool)) return tool;
        }
        if (registry is not null) return registry.Get(name);
        throw new KeyNotFoundException(
            $"No tool named '{name}' is loaded (loaded: {(Names.Count == 0 ? "none" : string.Join(", ", Names))}). " +
            "Give the bench a tool registry or add the tool with AddTool.");
    }
}
