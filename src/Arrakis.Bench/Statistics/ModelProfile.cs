namespace Arrakis.Bench;

/// <summary>The outcome of a <c>[ProfileModel]</c>, attached to the run's record.</summary>
/// <param name="Granularity">What was measured.</param>
/// <param name="Units">One entry per layer (<c>blocks.0</c>) and/or component (<c>blocks.0.attn</c>, <c>blocks.0.mlp</c>), in forward order.</param>
public sealed record ModelProfile(Granularity Granularity, IReadOnlyList<UnitProfile> Units);

/// <summary>Time and activation memory of one layer or component over the experiment's forward passes.</summary>
/// <param name="Name">e.g. <c>blocks.1</c> or <c>blocks.1.mlp</c>.</param>
/// <param name="Passes">How many forward passes went through it.</param>
/// <param name="WallMs">Wall time summed over the passes, in milliseconds (from its first hook point to its last).</param>
/// <param name="TimeFraction">Its share of the wall time of the units of the same granularity.</param>
/// <param name="ActivationBytes">Bytes of the activations through its hook points in one pass (the largest pass).</param>
/// <param name="MemoryFraction">Its share of the activation bytes of the units of the same granularity.</param>
public sealed record UnitProfile(string Name, int Passes, double WallMs, double TimeFraction, long ActivationBytes, double MemoryFraction);
