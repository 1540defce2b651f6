namespace Arrakis.Bench;

/// <summary>
/// Records every run of a <see cref="UseToolsAttribute"/> experiment in the bench's <see cref="ExperimentStore"/>
/// (Arrakis's <c>@exp.log_experiment</c>): name, code version (hash of the method's source, captured at compile
/// time), run id, arguments, result, start time, duration, model identity and tool versions. A failing run is
/// recorded too, with its exception, and the exception is rethrown.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class LogExperimentAttribute : Attribute;
