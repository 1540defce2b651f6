namespace Arrakis.Bench;

/// <summary>
/// Declares the tools an experiment method uses (Arrakis's <c>@exp.use_tools("decomposer")</c>). The method takes,
/// after its ordinary parameters, one parameter per tool in this order, typed by the tool's <see cref="ToolAttribute"/>
/// contract. The Arrakis generator adds a callable form without those parameters that resolves each tool from
/// <see cref="InterpretabilityBench.Tools"/> on every call, so a hot-reloaded plugin is picked up. The containing
/// class must be <c>partial</c> and derive from <see cref="InterpretabilityBench"/>; mistakes are compile errors
/// ARK001–ARK012.
/// </summary>
/// <example><code>
/// [UseTools("decomposer")]
/// public ResidualDecompositionResult TestResidualDecomposer(Tensor inputIds, int layerIdx, IResidualDecomposer decomposer)
///     => decomposer.DecomposeResidual(inputIds, layerIdx);
///
/// exp.TestResidualDecomposer(inputIds, 0); // generated: resolves "decomposer", then calls the method above
/// </code></example>
/// <remarks>
/// The constructor carries an <see cref="ObsoleteAttribute"/> with the diagnostic ID <c>ARK000</c> on purpose: the
/// generator's assembly holds a diagnostic suppressor that silences it, so the warning is seen only where the generator
/// is not running — one warning per experiment, at the attribute, naming the fix — instead of only CS7036 at every call
/// site. It is not a deprecation.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class UseToolsAttribute : Attribute
{
    /// <summary>The message of ARK000, shown only where the generator does not run.</summary>
    public const string GeneratorNotRunning =
        "the Arrakis [UseTools] generator is not running in this project, so this experiment gets no callable form " +
        "(calls without the tool arguments fail with CS7036). Reference the Arrakis.Bench package with a PackageReference " +
        "that keeps its analyzers and buildTransitive assets; for a ProjectReference to Arrakis.Bench.csproj, also reference " +
        "generators/Arrakis.Generators/Arrakis.Generators.csproj with OutputItemType=\"Analyzer\" ReferenceOutputAssembly=\"false\" " +
        "(docs/using-arrakis.md)";

    /// <summary>Declares the tools, in the order of the method's tool parameters.</summary>
    [Obsolete(GeneratorNotRunning, DiagnosticId = "ARK000", UrlFormat = "docs/experiments.md#ark000")]
    public UseToolsAttribute(string tool, params string[] more) => Names = [tool, .. more];

    /// <summary>The tool names, in the order of the method's tool parameters.</summary>
    public IReadOnlyList<string> Names { get; }
}
