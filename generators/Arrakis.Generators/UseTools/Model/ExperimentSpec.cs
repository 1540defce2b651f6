using Arrakis.Generators.Common;

namespace Arrakis.Generators.UseTools.Model
{
    /// <summary>One <c>[UseTools]</c> method, reduced to the strings the emitter writes (no symbols, syntax or locations).</summary>
    /// <param name="Type">The partial type the callable form is added to.</param>
    /// <param name="MethodName">The method's name, escaped if it is a keyword.</param>
    /// <param name="Accessibility">The method's accessibility, copied to the callable form (<c>public</c>, <c>internal</c>, …).</param>
    /// <param name="ReturnType">The fully qualified return type, or <c>void</c>.</param>
    /// <param name="ReturnKind">How the result is awaited when the run is recorded.</param>
    /// <param name="ResultType">For <c>Task&lt;T&gt;</c>/<c>ValueTask&lt;T&gt;</c>: <c>T</c>; otherwise null.</param>
    /// <param name="Parameters">The ordinary parameters, which the callable form keeps.</param>
    /// <param name="Tools">The tools, in <c>[UseTools]</c> order, each received by one of the method's last parameters.</param>
    /// <param name="Log">Whether <c>[LogExperiment]</c> is present.</param>
    /// <param name="ExperimentName">The experiment's name in the store: <c>[LogExperiment(Name = …)]</c> or <c>{Type}.{Method}</c>.</param>
    /// <param name="Hypothesis">The <c>[TestHypothesis]</c> settings, if present and valid.</param>
    /// <param name="PreferOverload">Whether the callable form is marked preferred in overload resolution (a tool
    /// parameter has a default value, so a call that omits optional arguments would match both forms).</param>
    /// <param name="Profile">The <c>[ProfileModel]</c> granularity (the <c>Granularity</c> flags' value), if present.</param>
    /// <param name="PlotResults">Whether <c>[PlotResults]</c> is present.</param>
    /// <param name="Source">The captured source and its hash (the code version).</param>
    internal sealed record ExperimentSpec(
        ContainingTypeSpec Type,
        string MethodName,
        string Accessibility,
        string ReturnType,
        ReturnKind ReturnKind,
        string? ResultType,
        EquatableArray<ParameterSpec> Parameters,
        EquatableArray<ToolSpec> Tools,
        bool Log,
        string ExperimentName,
        HypothesisSpec? Hypothesis,
        bool PreferOverload,
        int? Profile,
        bool PlotResults,
        SourceSpec Source)
    {
        /// <summary>Whether the call goes through the bench's recording path (<c>RunExperiment</c>).</summary>
        public bool IsRecorded => Log || Hypothesis is not null || Profile is not null || PlotResults;
    }

    /// <summary>The shape of a method's return type, which decides how its result is awaited.</summary>
    internal enum ReturnKind
    {
        Void,
        Value,
        Task,
        TaskOfT,
        ValueTask,
        ValueTaskOfT,
    }
}
