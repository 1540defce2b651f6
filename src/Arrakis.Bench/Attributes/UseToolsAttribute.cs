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
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class UseToolsAttribute(string tool, params string[] more) : Attribute
{
    /// <summary>The tool names, in the order of the method's tool parameters.</summary>
    public IReadOnlyList<string> Names { get; } = [tool, .. more];
}
