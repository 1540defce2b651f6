namespace Arrakis;

/// <summary>
/// A tool that works on a model. Plugins are created without arguments, so the instance a registry holds is an
/// unbound prototype; <see cref="WithModel"/> returns a new instance of the same tool bound to a model. The bench
/// (<c>InterpretabilityBench.Tools</c>, and so the code <c>[UseTools]</c> generates) binds every tool that implements
/// this interface to its own model on each lookup.
/// </summary>
/// <example><code>
/// var decomposer = (IResidualDecomposer)((IModelTool)registry.Get("decomposer")).WithModel(model);
/// </code></example>
public interface IModelTool
{
    /// <summary>A new instance of this tool bound to <paramref name="model"/> (the receiver is left unchanged).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    object WithModel(HookedTransformer model);
}
