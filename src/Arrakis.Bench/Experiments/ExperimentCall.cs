namespace Arrakis.Bench;

/// <summary>
/// One call of a recorded experiment, built by generated code and handed to
/// <see cref="InterpretabilityBench.RunExperiment{T}(ExperimentCall, Func{T})"/>. Options of the experiment
/// attributes live here: <c>[LogExperiment]</c> sets <see cref="Log"/>, <c>[TestHypothesis]</c> sets
/// <see cref="Hypothesis"/>, <c>[ProfileModel]</c> sets <see cref="Profile"/>, <c>[PlotResults]</c> sets <see cref="PlotResults"/>.
/// </summary>
/// <param name="info">The experiment as captured at compile time.</param>
/// <param name="arguments">The ordinary arguments, in the order of <see cref="ExperimentInfo.ParameterNames"/>.</param>
/// <param name="tools">The tools resolved for this call.</param>
public sealed class ExperimentCall(ExperimentInfo info, object?[] arguments, ToolUse[] tools)
{
    /// <summary>The experiment as captured at compile time.</summary>
    public ExperimentInfo Info { get; } = info;

    /// <summary>The ordinary arguments of this call.</summary>
    public IReadOnlyList<object?> Arguments { get; } = arguments;

    /// <summary>The tools resolved for this call.</summary>
    public IReadOnlyList<ToolUse> Tools { get; } = tools;

    /// <summary>Whether the run is written to the experiment store (<c>[LogExperiment]</c>).</summary>
    public bool Log { get; init; }

    /// <summary>The hypothesis test to run after the experiment (<c>[TestHypothesis]</c>), if any.</summary>
    public HypothesisCall? Hypothesis { get; init; }

    /// <summary>What to profile while the experiment runs (<c>[ProfileModel]</c>), if anything.</summary>
    public Granularity? Profile { get; init; }

    /// <summary>Whether the result's default views are drawn and stored with the run (<c>[PlotResults]</c>).</summary>
    public bool PlotResults { get; init; }
}
