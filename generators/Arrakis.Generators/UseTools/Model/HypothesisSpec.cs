namespace Arrakis.Generators.UseTools.Model
{
    /// <summary>A valid <c>[TestHypothesis]</c>: the two sample functions and the test's settings.</summary>
    internal sealed record HypothesisSpec(SampleFunctionSpec Null, SampleFunctionSpec Alternative, int Samples, double Alpha);

    /// <summary>A sample function of a hypothesis test.</summary>
    /// <param name="Name">The method's name (escaped).</param>
    /// <param name="IsStatic">Static functions are called through the type name, instance ones through <c>this</c>.</param>
    /// <param name="TakesTools">Whether it takes the experiment's tools after its ordinary parameters.</param>
    internal sealed record SampleFunctionSpec(string Name, bool IsStatic, bool TakesTools);
}
