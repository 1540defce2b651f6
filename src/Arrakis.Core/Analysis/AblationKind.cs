namespace Arrakis;

/// <summary>What an ablated head's output z (<c>hook_z</c>, [batch, pos, head, d_head]) is replaced with (<see cref="HeadAblation"/>).</summary>
public enum AblationKind
{
    /// <summary>z_h ← 0: the head writes nothing (its W_O bias share, b_O, is not the head's and stays).</summary>
    Zero,

    /// <summary>z_h ← mean of z_h over the batch and positions of the same input (the mean ablation of path patching).</summary>
    Mean,

    /// <summary>
    /// z_h ← z_h of another input: by default sequence b takes sequence (b + 1) mod batch of the same batch (a
    /// derangement, so no sequence keeps its own activation; needs batch ≥ 2), or the same sequence of an explicit
    /// resample input (Chan et al.'s resampling ablation, with one fixed draw).
    /// </summary>
    Resample,
}
