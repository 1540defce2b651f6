using System.Text.RegularExpressions;

namespace Arrakis.Plots;

/// <summary>Places circuit nodes in columns: the layer in a name such as <c>a1.h2</c>, <c>m3</c>, <c>L1H2</c>, <c>blocks.2.mlp</c>.</summary>
public static partial class GraphLayers
{
    /// <summary>
    /// The column of node <paramref name="name"/>: <c>input</c>/<c>embed</c> first, <c>logits</c> last, otherwise twice the
    /// first number in the name, plus one for MLPs (an MLP reads its layer's attention); by <paramref name="order"/>
    /// (computation order) when the name holds no number.
    /// </summary>
    public static int LayerOf(string name, IReadOnlyDictionary<string, int>? order = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        string lower = name.ToLowerInvariant();
        if (lower is "input" or "embed" or "hook_embed" || lower.StartsWith("embed", StringComparison.Ordinal)) return 0;
        if (lower.StartsWith("logit", StringComparison.Ordinal) || lower is "output" or "unembed") return 10_000;
        var m = Number().Match(lower);
        if (m.Success) return 1 + 2 * int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture) + (lower.Contains('m') && !lower.Contains('h') ? 1 : 0);
        return order is not null && order.TryGetValue(name, out int i) ? i : 1;
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();
}
