namespace Arrakis.Experiments.Tools;

/// <summary>A dictionary-backed <see cref="IToolRegistry"/> for tests (the plugin host provides the real one).</summary>
public sealed class DictionaryToolRegistry : IToolRegistry
{
    private readonly Dictionary<string, object> _tools = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Names => _tools.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Registers or replaces a tool (a replacement stands in for a hot reload).</summary>
    public DictionaryToolRegistry Set(string name, object tool)
    {
        _tools[name] = tool;
        return this;
    }

    public TContract Get<TContract>(string name) where TContract : class =>
        Get(name) as TContract ?? throw new InvalidCastException($"Tool '{name}' does not implement {typeof(TContract).Name}.");

    public object Get(string name) =>
        _tools.TryGetValue(name, out object? tool) ? tool : throw new KeyNotFoundException($"No tool named '{name}' (loaded: {string.Join(", ", Names)}).");
}
