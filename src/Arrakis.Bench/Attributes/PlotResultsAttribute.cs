namespace Arrakis.Bench;

/// <summary>
/// Draws the default views of the experiment's result (Arrakis's <c>@exp.plot_results</c>) and stores them with the run:
/// each figure as JSON, SVG and PNG under <c>{experiment}/figures/{runId}/</c>, listed in
/// <see cref="ExperimentRecord.Figures"/> (never inside the JSONL line). Use with <see cref="LogExperimentAttribute"/>:
/// figures are stored only with a stored run. The views come from <c>Arrakis.Plots</c> (<c>Views.For</c>: every built-in
/// tool result, tensors, figures, dictionaries of numbers); <c>arrakis report</c> puts them in an HTML page.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class PlotResultsAttribute : Attribute;
