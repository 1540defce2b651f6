namespace Arrakis.Bench;

/// <summary>
/// What the generator captures about an experiment method at compile time (the C# twin of Arrakis's
/// <c>inspect.getsource</c>); one static instance per logged experiment, in generated code.
/// </summary>
/// <param name="name">The experiment's name, also its folder under the save directory: <c>[LogExperiment(Name = …)]</c>,
/// else <c>{Type}.{Method}</c>.</param>
/// <param name="codeVersion">The first 12 hex digits of SHA-256 over the method's normalised syntax (tokens only: no
/// whitespace or comments) and that of the hypothesis sample functions it names.</param>
/// <param name="sourcePath">The source file, relative to the project directory.</param>
/// <param name="line">The 1-based line of the method's name.</param>
/// <param name="parameterNames">The ordinary (non-tool) parameters, in order.</param>
/// <param name="source">The method's full source lines, doc comment included, dedented, <c>\n</c> line ends.</param>
public sealed class ExperimentInfo(string name, string codeVersion, string sourcePath, int line, string[] parameterNames, string source)
{
    /// <summary>The experiment's name (<c>{Type}.{Method}</c> unless <c>[LogExperiment(Name = …)]</c> gives one).</summary>
    public string Name { get; } = name;

    /// <summary>The code version: a hash of the method's normalised syntax and its sample functions'.</summary>
    public string CodeVersion { get; } = codeVersion;

    /// <summary>The source file, relative to the project directory.</summary>
    public string SourcePath { get; } = sourcePath;

    /// <summary>The 1-based line of the method's name in <see cref="SourcePath"/>.</summary>
    public int Line { get; } = line;

    /// <summary>The ordinary parameters' names, matching <see cref="ExperimentCall.Arguments"/>.</summary>
    public IReadOnlyList<string> ParameterNames { get; } = parameterNames;

    /// <summary>The method's source as captured at compile time.</summary>
    public string Source { get; } = source;
}
