namespace Arrakis.Generators.UseTools.Model
{
    /// <summary>One tool of a <c>[UseTools]</c> method.</summary>
    /// <param name="Name">The tool's registry name, e.g. <c>decomposer</c>.</param>
    /// <param name="ContractType">The receiving parameter's fully qualified type, e.g. <c>global::Arrakis.IResidualDecomposer</c>.</param>
    /// <param name="ParameterName">The receiving parameter's name (escaped), reused for the local holding the resolved tool.</param>
    internal sealed record ToolSpec(string Name, string ContractType, string ParameterName);
}
