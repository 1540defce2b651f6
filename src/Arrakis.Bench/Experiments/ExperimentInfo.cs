namespace Arrakis.Bench;

/// <summary>
/// What the generator captures about an experiment method at compile time (the C# twin of Arrakis's
/// <c>inspect.getsource</c>); one static instance per logged experiment, in generated code.
/// </summary>
/// <param name="name">The method's name, also the experiment's folder under the save directory.</param>
/// <param name="codeVersion">The first 12 hex digits of SHA-256 over <paramref name="source"/> (UTF-8).</param>
/// <param name="sourcePath">The source file, relative to the project directory.</param>
/// <param name="line">The 1-based line of the method's name.</param>
/// <param name="parameterNames">The ordinary (non-tool) parameters, in order.</param>
/// <param name="source">The method's full source lines, doc comment included, dedented, <c>\n</c> line ends.</param>
public sealed class ExperimentInfo(string name, string codeVersion, string sourcePath, int line, string[] parameterNames, string source)
{
    /// <summary>The experiment's name (the method's name).</summary>
    public string Name { get; } = name;

    /// <summary>The code version: a hash of <see cref="Source"/>.</summary>
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
