namespace Arrakis.Bench;

/// <summary>What <see cref="ProfileModelAttribute"/> measures: whole layers, their components, or both.</summary>
[Flags]
public enum Granularity
{
    /// <summary>Each transformer block (<c>blocks.{l}</c>): from <c>hook_resid_pre</c> to <c>hook_resid_post</c>.</summary>
    Layer = 1,

    /// <summary>Each block's attention (<c>blocks.{l}.attn</c>, up to <c>hook_attn_out</c>) and MLP (<c>blocks.{l}.mlp</c>, up to <c>hook_mlp_out</c>).</summary>
    Component = 2,
}

/// <summary>
/// Profiles the model while a <see cref="UseToolsAttribute"/> experiment runs (Arrakis's <c>@exp.profile_model</c>):
/// wall time and activation bytes per layer and/or component, measured through the model's hook points, attached
/// to the run's record (<see cref="ExperimentRecord.Profile"/>).
/// </summary>
/// <param name="granularity">Layers, components, or both (<c>Granularity.Layer | Granularity.Component</c>).</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class ProfileModelAttribute(Granularity granularity = Granularity.Layer) : Attribute
{
    /// <summary>What is measured.</summary>
    public Granularity Granularity { get; } = granularity;
}
