namespace Arrakis;

/// <summary>
/// Names the tool a contract interface stands for (Arrakis's <c>@exp.use_tools("decomposer")</c> name).
/// Names are unique, case-sensitive and match <c>[a-z][a-z0-9_-]*</c>.
/// </summary>
/// <example><code>[Tool("decomposer")] public interface IResidualDecomposer { … }</code></example>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class ToolAttribute(string name) : Attribute
{
    /// <summary>The tool's name.</summary>
    public string Name { get; } = name;
}
