using Arrakis.Util;

namespace Arrakis.Bench.Tools;

/// <summary>Tool-name helpers: validation messages and "did you mean" suggestions.</summary>
public static class ToolNames
{
    /// <summary>Throws unless <paramref name="name"/> matches <c>[a-z][a-z0-9_-]*</c>.</summary>
    /// <exception cref="ArgumentException">The name is not a valid tool name.</exception>
    public static void Validate(string name)
    {
        if (!ToolAttribute.IsValidName(name))
            throw new ArgumentException($"'{name}' is not a valid tool name: names are case-sensitive and match [a-z][a-z0-9_-]*.", nameof(name));
    }

    /// <summary>The name in <paramref name="candidates"/> with the smallest edit distance to <paramref name="name"/>
    /// (ties: the first in ordinal order), or null when there are no candidates.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates.Order(StringComparer.Ordinal))
        {
            var distance = EditDistance(name, candidate);
            if (distance < bestDistance) (best, bestDistance) = (candidate, distance);
        }
        return best;
    }

    /// <summary>The message for a tool that is not registered: the loaded tools and the closest name.</summary>
    public static string NotFoundMessage(string name, IReadOnlyCollection<string> loaded)
    {
        if (loaded.Count == 0) return $"No tool named '{name}': no tools are loaded (see the plugin load report).";
        return $"No tool named '{name}'. Closest name: '{Closest(name, loaded)}'. Loaded tools: {string.Join(", ", loaded)}.";
    }

    /// <summary>Levenshtein distance (insert, delete, substitute each cost 1): <see cref="NameSuggestions.Distance"/>.</summary>
    public static int EditDistance(string a, string b) => NameSuggestions.Distance(a, b);
}
