namespace Arrakis.Bench;

/// <summary>
/// Records every run of a <see cref="UseToolsAttribute"/> experiment in the bench's <see cref="ExperimentStore"/>
/// (Arrakis's <c>@exp.log_experiment</c>): name, code version (hash of the method's normalised syntax, captured at
/// compile time), run id, arguments, result, start time, duration, model identity and tool versions. A failing run is
/// recorded too, with its exception, and the exception is rethrown.
/// </summary>
/// <remarks>
/// The experiment's name is <see cref="Name"/> when given, otherwise <c>{Type}.{Method}</c> (the declaring class's name,
/// with its containing classes, then the method's): two experiments of one method name in different classes never mix
/// their runs in one store experiment. Two recorded experiments of one compilation that would still share a name (one
/// class name in two namespaces, overloads, an explicit name given twice) are refused at build time (ARK017).
/// </remarks>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class LogExperimentAttribute : Attribute
{
    /// <summary>The experiment's name in the store (its folder under the save directory); default <c>{Type}.{Method}</c>.
    /// Must not be empty, <c>.</c>, <c>..</c>, or contain <c>/</c> or <c>\</c> (ARK016).</summary>
    public string? Name { get; set; }
}
