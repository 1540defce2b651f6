namespace Arrakis.Hooks;

/// <summary>
/// A hook to attach for one run: a hook name or a name predicate, and the function to run there
/// (TransformerLens <c>fwd_hooks=[(name_or_filter, fn)]</c>).
/// </summary>
public sealed record Hook
{
    /// <summary>Attaches <paramref name="function"/> to the hook point called <paramref name="name"/>.</summary>
    public Hook(string name, HookFunction function)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Function = function ?? throw new ArgumentNullException(nameof(function));
    }

    /// <summary>Attaches <paramref name="function"/> to every hook point whose name satisfies <paramref name="filter"/>.</summary>
    public Hook(Func<string, bool> filter, HookFunction function)
    {
        Filter = filter ?? throw new ArgumentNullException(nameof(filter));
        Function = function ?? throw new ArgumentNullException(nameof(function));
    }

    /// <summary>The exact hook name, when given by name.</summary>
    public string? Name { get; }

    /// <summary>The name predicate, when given by predicate.</summary>
    public Func<string, bool>? Filter { get; }

    /// <summary>The function to run.</summary>
    public HookFunction Function { get; }

    /// <summary>Creates a hook by name: <c>("blocks.0.attn.hook_z", fn)</c>.</summary>
    public static implicit operator Hook((string Name, HookFunction Function) pair) => new(pair.Name, pair.Function);
}
