using Arrakis.Bench.Plugins;

namespace Arrakis.Bench.Tools;

/// <summary>
/// The tools as experiments and scripts see them: the tools added in code (<see cref="Add"/>) over a registry (the
/// plugin host's), with every <see cref="IModelTool"/> handed out bound to a model (<see cref="IModelTool.WithModel"/>)
/// on every lookup, so a hot-reloaded tool is bound as soon as it is served. Other tools pass through unchanged. The
/// one place tools are bound to a model: a bench's <see cref="InterpretabilityBench.Tools"/> and a script's
/// <c>Tools</c> are both this view.
/// </summary>
/// <remarks>
/// The model is asked for only when a model tool is looked up, so listing the tools never loads it. Lookups that miss
/// the tools added in code go to the registry, whose errors name the loaded tools and the closest name.
/// </remarks>
/// <example><code>
/// var decomposer = Tools.Get&lt;IResidualDecomposer&gt;("decomposer");              // bound to Model
/// var onOther = Tools.For(other).Get&lt;IResidualDecomposer&gt;("decomposer");      // bound to another model
/// Console.WriteLine(Tools.Report);                                                   // the plugin load report, now
/// </code></example>
public sealed class ModelBoundTools : IToolRegistry
{
    private readonly IToolRegistry? _registry;
    private readonly Func<HookedTransformer> _model;
    private readonly Func<PluginLoadReport>? _report;
    private readonly Dictionary<string, object> _custom;
    private readonly Lock _gate;

    /// <summary>A view of <paramref name="registry"/> binding model tools to <paramref name="model"/>.</summary>
    /// <param name="registry">The underlying registry (the plugin host's); null for only the tools added in code.</param>
    /// <param name="model">The model to bind to (called on each lookup of a model tool).</param>
    /// <param name="report">The plugin host's current load report, for <see cref="Report"/>; null when there is no plugin host.</param>
    public ModelBoundTools(IToolRegistry? registry, Func<HookedTransformer> model, Func<PluginLoadReport>? report = null)
        : this(registry, model, report, new Dictionary<string, object>(StringComparer.Ordinal), new Lock())
    {
    }

    private ModelBoundTools(IToolRegistry? registry, Func<HookedTransformer> model, Func<PluginLoadReport>? report,
        Dictionary<string, object> custom, Lock gate)
    {
        _registry = registry is ModelBoundTools bound ? bound._registry : registry; // never bind twice
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _report = report ?? (registry as ModelBoundTools)?._report;
        _custom = custom;
        _gate = gate;
    }

    /// <summary>The plugin host's load report as it is now (reloads and failures included), or null without a plugin host.</summary>
    public PluginLoadReport? Report => _report?.Invoke();

    /// <summary>The same tools (those added in code included) bound to <paramref name="model"/> instead.</summary>
    public ModelBoundTools For(HookedTransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ModelBoundTools(_registry, () => model, _report, _custom, _gate);
    }

    /// <summary>A view over the same registry bound to <paramref name="model"/>, with tools added in code of its own (a bench's).</summary>
    internal static ModelBoundTools Over(IToolRegistry? registry, HookedTransformer model) =>
        new(registry, () => model, null);

    /// <inheritdoc />
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
            {
                return _custom.Keys.Concat(_registry?.Names ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            }
        }
    }

    /// <summary>Adds (or replaces) a tool in code, ahead of the registry's tool of the same name.</summary>
    public void Add(string name, object tool)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(tool);
        lock (_gate) _custom[name] = tool;
    }

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
        object tool = Find(name);
        return tool is IModelTool modelTool ? modelTool.WithModel(_model()) : tool;
    }

    private object Find(string name)
    {
        lock (_gate)
        {
            if (_custom.TryGetValue(name, out object? tool)) return tool;
        }
        if (_registry is not null) return _registry.Get(name);
        throw new KeyNotFoundException(
            $"No tool named '{name}' is loaded (loaded: {(Names.Count == 0 ? "none" : string.Join(", ", Names))}). " +
            "Load plugins (--plugins DIR), give the bench a tool registry, or add the tool with AddTool.");
    }
}
