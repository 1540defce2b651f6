using System.Collections.Frozen;

namespace Arrakis.Bench.Tools;

/// <summary>
/// The tools an experiment can resolve by name: those of loaded plugins (fed by a
/// <see cref="Plugins.PluginHost"/>) and those registered in code with <see cref="Register{TContract}"/>.
/// </summary>
/// <remarks>
/// The registry is an immutable snapshot behind one volatile reference. A lookup reads the snapshot and does one
/// frozen-dictionary probe — no lock — so resolving a tool on every call costs a few nanoseconds
/// (<c>tests/Arrakis.Benchmarks</c>, <c>ToolCallBenchmark</c>). A plugin reload builds a new snapshot and
/// swaps it in one write, so a caller sees either all of the old build's tools or all of the new build's; a call
/// that already holds the old instance finishes on it.
/// </remarks>
/// <example><code>
/// var registry = new ToolRegistry();
/// registry.Register&lt;IWordCount&gt;("wordcount", new MyWordCount());
/// var result = registry.Get&lt;IWordCount&gt;("wordcount").Count("a b c", top: 2);
/// </code></example>
public sealed partial class ToolRegistry : IToolRegistry
{
    private static readonly object CodeOwner = new();
    private readonly object _writeLock = new();
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _withdrawn = new(StringComparer.Ordinal);

    /// <summary>Raised after a plugin's tools were swapped for a new build (on the thread that reloaded it).</summary>
    public event EventHandler<ToolReloadedEventArgs>? Reloaded;

    /// <inheritdoc />
    public IReadOnlyList<string> Names => _snapshot.Names;

    /// <summary>Every registered tool, in name order.</summary>
    public IReadOnlyList<ToolDescriptor> Tools => _snapshot.Descriptors;

    /// <inheritdoc />
    public TContract Get<TContract>(string name) where TContract : class
    {
        if (_snapshot.Tools.TryGetValue(name, out var entry))
        {
            return entry.Instance.Value as TContract ?? throw WrongContract(entry, typeof(TContract));
        }
        throw NotFound(name);
    }

    /// <inheritdoc />
    public object Get(string name) =>
        _snapshot.Tools.TryGetValue(name, out var entry) ? entry.Instance.Value : throw NotFound(name);

    /// <summary>The descriptor of the tool named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tool; the message lists loaded tools and the closest name.</exception>
    public ToolDescriptor Describe(string name) =>
        _snapshot.Tools.TryGetValue(name, out var entry) ? entry.Descriptor : throw NotFound(name);

    /// <summary>True when a tool named <paramref name="name"/> is registered.</summary>
    public bool Contains(string name) => _snapshot.Tools.ContainsKey(name);

    /// <summary>Registers a tool written in code (a custom tool, or a test double).</summary>
    /// <exception cref="ArgumentException">The name is not <c>[a-z][a-z0-9_-]*</c>.</exception>
    /// <exception cref="InvalidOperationException">The name is taken; the message names who has it.</exception>
    public void Register<TContract>(string name, TContract instance) where TContract : class
    {
        ToolNames.Validate(name);
        ArgumentNullException.ThrowIfNull(instance);
        var descriptor = new ToolDescriptor(name, typeof(TContract), instance.GetType().FullName ?? instance.GetType().Name, ToolDescriptor.CodeSource, null);
        if (TryPublish(CodeOwner, [new Registration(descriptor, ToolInstance.Of(instance))], replaceOwned: false) is { } conflict)
            throw new InvalidOperationException(conflict);
    }

    /// <summary>Removes a tool registered in code; plugin tools go away only with their plugin.</summary>
    /// <returns>False when no tool of that name was registered in code.</returns>
    public bool Unregister(string name)
    {
        lock (_writeLock)
        {
            if (!_snapshot.Tools.TryGetValue(name, out var entry) || entry.Owner != CodeOwner) return false;
            _snapshot = _snapshot.With(_snapshot.Tools.Values.Where(e => e.Name != name));
            return true;
        }
    }

    /// <summary>A tool ready to be published: what it is and the instance serving it (constructed on first use).</summary>
    internal readonly record struct Registration(ToolDescriptor Descriptor, ToolInstance Instance);

    /// <summary>
    /// Publishes <paramref name="tools"/> for <paramref name="owner"/> in one atomic swap, replacing whatever
    /// <paramref name="owner"/> had (when <paramref name="replaceOwned"/>). Nothing changes if a name is taken by
    /// another owner (or twice in <paramref name="tools"/>).
    /// </summary>
    /// <returns>Null on success, otherwise why not.</returns>
    internal string? TryPublish(object owner, IReadOnlyList<Registration> tools, bool replaceOwned = true)
    {
        lock (_writeLock)
        {
            var current = _snapshot;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var tool in tools)
            {
                var name = tool.Descriptor.Name;
                if (!names.Add(name)) return $"tool name '{name}' is claimed twice by {tool.Descriptor.Source}";
                if (current.Tools.TryGetValue(name, out var existing) && existing.Owner != owner)
                    return $"tool name '{name}' is already provided by {Describe(existing.Descriptor)}";
                if (existing is not null && !replaceOwned)
                    return $"tool name '{name}' is already provided by {Describe(existing.Descriptor)}";
            }
            var kept = current.Tools.Values.Where(e => !(replaceOwned && e.Owner == owner));
            foreach (var tool in tools) _withdrawn.TryRemove(tool.Descriptor.Name, out _);
            _snapshot = current.With(kept.Concat(tools.Select(t => new Entry(t.Descriptor, t.Instance, owner))));
            return null;
        }
    }

    /// <summary>Removes every tool of <paramref name="owner"/> in one swap; with a <paramref name="reason"/>, a later
    /// lookup of one of those names says why it is gone.</summary>
    internal void Withdraw(object owner, string? reason = null)
    {
        lock (_writeLock)
        {
            if (reason is not null)
                foreach (var entry in _snapshot.Tools.Values.Where(e => e.Owner == owner)) _withdrawn[entry.Name] = reason;
            _snapshot = _snapshot.With(_snapshot.Tools.Values.Where(e => e.Owner != owner));
        }
    }

    internal void OnReloaded(ToolReloadedEventArgs args) => Reloaded?.Invoke(this, args);

    private static string Describe(ToolDescriptor d) =>
        d.Source == ToolDescriptor.CodeSource ? "a tool registered in code" : $"plugin '{d.Source}'";

    /// <summary>The plugins that failed to load, set by the <see cref="Plugins.PluginHost"/> that feeds this registry:
    /// a missing tool's message then names them and why, rather than guessing a closest name.</summary>
    internal Func<IReadOnlyList<Plugins.PluginReport>>? FailedPlugins { get; set; }

    private KeyNotFoundException NotFound(string name)
    {
        // A tool withdrawn because its constructor failed on first use: say exactly that.
        if (_withdrawn.TryGetValue(name, out string? why))
            return new($"Tool '{name}' is not available: {why}. Loaded tools: {(Names.Count == 0 ? "none" : string.Join(", ", Names))}.");
        IReadOnlyList<Plugins.PluginReport> failed = FailedPlugins?.Invoke() ?? [];
        if (failed.Count == 0) return new(ToolNames.NotFoundMessage(name, Names));
        string plugins = string.Join("; ", failed.Select(p => $"plugin '{p.Name}' ({p.Folder}) failed to load — {p.Failure}: {p.Reason}"));
        // The closest name first (a typo is the likelier cause), then the plugins that failed and why.
        return new($"{ToolNames.NotFoundMessage(name, Names)} {(failed.Count == 1 ? "A plugin" : $"{failed.Count} plugins")} failed to load, " +
                   $"which may be where it comes from: {plugins}.");
    }

    private static InvalidCastException WrongContract(Entry entry, Type requested) =>
        new($"Tool '{entry.Name}' ({entry.Descriptor.Implementation} from {entry.Descriptor.Source}) implements " +
            $"{entry.Descriptor.Contract.FullName}, not {requested.FullName}." +
            (entry.Descriptor.Contract.FullName == requested.FullName
                ? " The two contract types have the same name but come from different assemblies or load contexts: " +
                  "contracts must be shared from the host, not shipped inside the plugin assembly."
                : ""));

    private sealed record Entry(ToolDescriptor Descriptor, ToolInstance Instance, object Owner)
    {
        public string Name => Descriptor.Name;
    }

    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = new([]);

        private Snapshot(IEnumerable<Entry> entries)
        {
            var ordered = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();
            Tools = ordered.ToFrozenDictionary(e => e.Name, StringComparer.Ordinal);
            Names = Array.AsReadOnly(ordered.Select(e => e.Name).ToArray());
            Descriptors = Array.AsReadOnly(ordered.Select(e => e.Descriptor).ToArray());
        }

        public FrozenDictionary<string, Entry> Tools { get; }
        public IReadOnlyList<string> Names { get; }
        public IReadOnlyList<ToolDescriptor> Descriptors { get; }

        public Snapshot With(IEnumerable<Entry> entries) => new(entries);
    }
}
