using Arrakis.Generators.Common;

namespace Arrakis.Generators.UseTools.Model
{
    /// <summary>The type that receives the callable forms: its namespace and the chain of declarations, outermost first.</summary>
    /// <param name="Namespace">The namespace, or null for the global namespace.</param>
    /// <param name="Declarations">Outermost first, e.g. <c>partial class Outer</c>, <c>partial class MIExperiment</c>.</param>
    /// <param name="HintName">A file-name-safe name for the generated file.</param>
    internal sealed record ContainingTypeSpec(
        string? Namespace,
        EquatableArray<TypeDeclarationSpec> Declarations,
        string HintName);

    /// <summary>One type declaration to reopen as <c>partial</c>.</summary>
    /// <param name="Keyword">e.g. <c>class</c>, <c>record</c>, <c>record class</c>.</param>
    /// <param name="NameWithTypeParameters">e.g. <c>MIExperiment</c> or <c>Sweep&lt;T&gt;</c>.</param>
    internal sealed record TypeDeclarationSpec(string Keyword, string NameWithTypeParameters);
}
