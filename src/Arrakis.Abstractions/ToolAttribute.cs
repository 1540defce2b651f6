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

    /// <summary>True when <paramref name="name"/> is a valid tool name: <c>[a-z][a-z0-9_-]*</c>.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name[0] is < 'a' or > 'z') return false;
        foreach (var c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-')) return false;
        }
        return true;
    }
}
