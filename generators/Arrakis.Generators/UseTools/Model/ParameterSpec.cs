namespace Arrakis.Generators.UseTools.Model
{
    /// <summary>An ordinary (non-tool) parameter, kept by the callable form.</summary>
    /// <param name="Name">The name, escaped if it is a keyword.</param>
    /// <param name="Type">The fully qualified type with nullable annotations.</param>
    /// <param name="DefaultValue">The default value as a C# expression, or null when there is none.</param>
    /// <param name="IsParams">Whether the parameter is a <c>params</c> array.</param>
    internal sealed record ParameterSpec(string Name, string Type, string? DefaultValue, bool IsParams);
}
