using System.Collections.Immutable;

namespace Arrakis;

/// <summary>
/// A source of named models (e.g. a model zoo embedded in an assembly) that <see cref="HookedTransformer.FromPretrained"/>
/// consults before it treats its argument as a folder.
/// </summary>
public interface IPretrainedModelSource
{
    /// <summary>
    /// The folder holding the model called <paramref name="name"/> (Hugging Face or Arrakis native layout; extracted or
    /// cached as the source sees fit), or null when this source does not know the name. Must not download anything.
    /// </summary>
    string? Resolve(string name);

    /// <summary>The names this source knows, for error messages.</summary>
    IEnumerable<string> Names { get; }
}

/// <summary>
/// The registry of <see cref="IPretrainedModelSource"/>s. <see cref="HookedTransformer.FromPretrained"/> asks each
/// registered source in registration order; the first folder returned wins. When none knows a name, it must be an
/// existing folder: nothing is ever downloaded. The models Arrakis ships (<see cref="Zoo.EmbeddedModelZoo"/>:
/// <c>attn-only-1l</c>, <c>attn-only-2l</c>, <c>gpt2-mini-language</c>) are registered from the start.
/// </summary>
public static class ModelZoo
{
    private static ImmutableList<IPretrainedModelSource> _sources = [Zoo.EmbeddedModelZoo.Instance];

    /// <summary>The registered sources, in the order they are asked.</summary>
    public static IReadOnlyList<IPretrainedModelSource> Sources => _sources;

    /// <summary>Adds a source; disposing the result removes it again.</summary>
    public static IDisposable Register(IPretrainedModelSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ImmutableInterlocked.Update(ref _sources, list => list.Add(source));
        return new Registration(source);
    }

    /// <summary>The folder the first source that knows <paramref name="name"/> gives, or null.</summary>
    public static string? TryResolve(string name)
    {
        foreach (var source in _sources)
            if (source.Resolve(name) is { } folder)
                return folder;
        return null;
    }

    /// <summary>Every name the registered sources know, sorted.</summary>
    public static IReadOnlyList<string> KnownNames =>
        _sources.SelectMany(s => s.Names).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    private sealed class Registration(IPretrainedModelSource source) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                ImmutableInterlocked.Update(ref _sources, list => list.Remove(source));
        }
    }
}
