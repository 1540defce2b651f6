namespace Arrakis.Bench;

/// <summary>
/// Writes a run's figures into the store before its record is appended (implemented by <c>Arrakis.Plots</c>'s
/// <c>RunFigureWriter</c>; the bench finds it by name when that assembly is loaded, or takes one set on
/// <see cref="InterpretabilityBench.FigureWriter"/>, as the script host's <c>Plot</c> global does).
/// </summary>
public interface IFigureWriter
{
    /// <summary>
    /// Writes the figures of one run under <paramref name="experimentDirectory"/> (<c>figures/{runId}/</c>): those queued
    /// for it (e.g. by a script's <c>Plot.Show</c>), then, when <paramref name="plotResult"/>, the default views of
    /// <paramref name="result"/>. Returns them with paths relative to <paramref name="experimentDirectory"/>.
    /// </summary>
    /// <param name="experimentDirectory">The experiment's folder in the store.</param>
    /// <param name="runId">The run.</param>
    /// <param name="result">The run's result (null for void or failed runs).</param>
    /// <param name="plotResult">Whether to draw the result's default views (<see cref="PlotResultsAttribute"/>).</param>
    /// <param name="warnings">Receives what could not be drawn (the run is recorded anyway).</param>
    IReadOnlyList<FigureRecord> WriteFigures(string experimentDirectory, string runId, object? result, bool plotResult, List<string> warnings);
}
