namespace Arrakis;

/// <summary>
/// Resolves tools by name (the names of <see cref="ToolAttribute"/> contracts). Experiments resolve their tools on
/// every call, so a hot-reloaded plugin is picked up by the next call.
/// </summary>
public interface IToolRegistry
{
    /// <summary>The names of the tools currently available, in ordinal order.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The tool registered under <paramref name="name"/>, typed by its contract.</summary>
    /// <exception cref="KeyNotFoundException">No such tool; the message lists loaded tools and the closest name.</exception>
    /// <exception cref="InvalidCastException">The tool does not implement <typeparamref name="TContract"/>.</exception>
    TContract Get<TContract>(string name) where TContract : class;

    /// <summary>The tool registered under <paramref name="name"/>, untyped (for dynamic scripts).</summary>
    /// <exception cref="KeyNotFoundException">No such tool; the message lists loaded tools and the closest name.</exception>
    object Get(string name);
}
