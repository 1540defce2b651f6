using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arrakis.Circuits;

/// <summary>
/// A circuit: a subgraph of the model's computational graph (<see cref="CircuitGraph"/>) — its edges with the scores that chose
/// them, the method, and its measured faithfulness. Serialises to JSON (<see cref="ToJson"/>, <see cref="FromJson"/>) and to
/// Graphviz DOT (<see cref="ToDot"/>); <see cref="ToString"/> is a compact table.
/// </summary>
/// <param name="Model">The model's name.</param>
/// <param name="Method">How it was found: <c>EAP</c>, <c>EAP-IG</c> (with top-k or threshold) or <c>ACDC</c>, with its parameters.</param>
/// <param name="Corruption">The corruption the edges outside it carry: <c>paired</c>, <c>mean</c> or <c>resample</c>.</param>
/// <param name="Edges">The circuit's edges, by |score| descending. Score: EAP/EAP-IG, the attribution estimate; ACDC, the exact
/// change of the metric measured when the edge was tried for removal, M(C \ e) − M(C).</param>
/// <param name="GraphEdges">The number of edges in the model's graph.</param>
/// <param name="Evaluation">Faithfulness and completeness, measured by exact edge patching.</param>
/// <param name="ForwardPasses">Forward passes the discovery ran (evaluation included).</param>
/// <param name="BackwardPasses">Backward passes the discovery ran.</param>
public sealed record Circuit(
    string Model,
    string Method,
    string Corruption,
    IReadOnlyList<GraphEdge> Edges,
    int GraphEdges,
    CircuitEvaluation? Evaluation,
    int ForwardPasses,
    int BackwardPasses)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    /// <summary>The nodes the edges touch, in computation order.</summary>
    public IReadOnlyList<GraphNode> Nodes => NodesOf(Edges);

    /// <summary>Whether the circuit has the edge called <paramref name="name"/> (<c>L0H2->L1H0&lt;k&gt;</c>).</summary>
    public bool Contains(string name) => Edges.Any(e => e.Name == name);

    /// <summary>The distinct nodes of <paramref name="edges"/>, in computation order (input, then by layer: heads, key/value heads, MLP; logits).</summary>
    public static IReadOnlyList<GraphNode> NodesOf(IEnumerable<GraphEdge> edges) =>
        edges.SelectMany(e => new[] { e.Upstream, e.Downstream }).Distinct()
            .OrderBy(n => n.Layer).ThenBy(n => n.Kind).ThenBy(n => n.Head).ToList();

    /// <summary>Indented JSON, enums by name.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads <see cref="ToJson"/>'s output.</summary>
    /// <exception cref="ArgumentException">Text that is not a circuit.</exception>
    public static Circuit FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize<Circuit>(json, Json) ?? throw new ArgumentException("json is null; expected a circuit.", nameof(json));
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"json is not a circuit: {e.Message}", nameof(json), e);
        }
    }

    /// <summary>
    /// Graphviz DOT: one box per node (input at the bottom, logits at the top), one arrow per edge labelled with the input it
    /// enters (q, k, v) and its score; blue for a positive score, red for a negative one, width by |score|.
    /// </summary>
    public string ToDot()
    {
        var dot = new StringBuilder();
        dot.AppendLine("digraph circuit {");
        dot.AppendLine("  rankdir=BT;");
        dot.AppendLine($"  label=\"{Escape($"{Model}: {Method}, {Corruption}; {Edges.Count} of {GraphEdges} edges" + (Evaluation is { } ev ? $", faithfulness {ev.Faithfulness:F3}" : ""))}\";");
        dot.AppendLine("  node [shape=box, fontname=\"Helvetica\"];");
        foreach (var layer in Nodes.GroupBy(n => n.Layer))
            dot.AppendLine($"  {{ rank=same; {string.Join(" ", layer.Select(n => $"\"{n.Name}\";"))} }}");
        double max = Edges.Count == 0 ? 1 : Math.Max(Edges.Max(e => Math.Abs(e.Score)), 1e-12);
        foreach (var e in Edges)
        {
            string input = e.Input switch { EdgeInput.Query => "q", EdgeInput.Key => "k", EdgeInput.Value => "v", _ => "" };
            string label = (input.Length > 0 ? input + " " : "") + e.Score.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);
            dot.AppendLine($"  \"{e.Upstream.Name}\" -> \"{e.Downstream.Name}\" [label=\"{label}\", color=\"{(e.Score >= 0 ? "blue" : "red")}\", " +
                           $"penwidth={(0.5 + 3 * Math.Abs(e.Score) / max).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)}];");
        }
        dot.AppendLine("}");
        return dot.ToString();
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"");

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine($"{Model}: {Method}, {Corruption} corruption; {Edges.Count} of {GraphEdges} edges, {Nodes.Count} nodes; {ForwardPasses} forward, {BackwardPasses} backward passes");
        if (Evaluation is { } ev)
            text.AppendLine(ev.ToString());
        int width = Math.Max(4, Edges.Count == 0 ? 0 : Edges.Max(e => e.Name.Length));
        text.AppendLine($"{"edge".PadRight(width)}  {"score",10}");
        foreach (var e in Edges)
            text.AppendLine($"{e.Name.PadRight(width)}  {e.Score.ToString("G4", System.Globalization.CultureInfo.InvariantCulture),10}");
        return text.ToString();
    }
}
