using Arrakis.Generators.Common;

namespace Arrakis.Generators.UseTools.Model
{
    /// <summary>All <c>[UseTools]</c> methods of one type, in source order: the unit of one generated file.</summary>
    internal sealed record TypeExperimentsSpec(ContainingTypeSpec Type, EquatableArray<ExperimentSpec> Experiments);
}
