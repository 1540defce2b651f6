namespace Arrakis.Bench;

/// <summary>A figure stored with a run: its files, relative to the experiment's folder (<c>figures/{runId}/…</c>).</summary>
/// <param name="Title">The figure's title.</param>
/// <param name="Kind">Its kind (<c>heatmap</c>, <c>bars</c>, <c>lines</c>, <c>attention</c>, <c>graph</c>, <c>contexts</c>, <c>histogram</c>).</param>
/// <param name="Data">The figure as JSON (what the HTML report draws from).</param>
/// <param name="Files">Its static exports (<c>.svg</c>, <c>.png</c>).</param>
public sealed record FigureRecord(string Title, string Kind, string Data, IReadOnlyList<string> Files);
