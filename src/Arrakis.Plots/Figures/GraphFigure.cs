namespace Arrakis.Plots;

/// <summary>A node of a <see cref="GraphFigure"/>; <paramref name="Layer"/> orders nodes left to right (input first).</summary>
public sealed record FigureNode(string Id, string Label, int Layer);

/// <summary>A directed, weighted edge of a <see cref="GraphFigure"/>.</summary>
public sealed record FigureEdge(string From, string To, double Weight, string? Label = null);

/// <summary>
/// A layered directed graph (a circuit: heads and MLPs as nodes, attributed edges): nodes in columns by layer, edges
/// drawn with width ∝ |weight|, blue negative and red positive; each edge carries its value.
/// </summary>
public sealed record GraphFigure(string Title, IReadOnlyList<FigureNode> Nodes, IReadOnlyList<FigureEdge> Edges) : Figure(Title)
{
    /// <inheritdoc />
    public override string Kind => "graph";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Nodes.Count > 0, nameof(Nodes), $"Graph '{Title}' has no nodes.");
        Require(Nodes.Count <= FigureLimits.MaxGraphNodes, nameof(Nodes), $"Graph '{Title}' has {Nodes.Count} nodes, over FigureLimits.MaxGraphNodes ({FigureLimits.MaxGraphNodes}).");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in Nodes) Require(ids.Add(n.Id), nameof(Nodes), $"Graph '{Title}' has node id '{n.Id}' twice.");
        foreach (var e in Edges)
        {
            Require(ids.Contains(e.From), nameof(Edges), $"Graph '{Title}': edge {e.From} → {e.To} starts at an unknown node '{e.From}'.");
            Require(ids.Contains(e.To), nameof(Edges), $"Graph '{Title}': edge {e.From} → {e.To} ends at an unknown node '{e.To}'.");
        }
    }
}
