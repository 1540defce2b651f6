namespace Arrakis.Circuits;

/// <summary>What an edge outside a circuit carries instead of its clean value.</summary>
public enum CorruptionKind
{
    /// <summary>The writer's output on a paired corrupted prompt of the same shape (row b of the corrupted batch for clean row b).</summary>
    Paired,

    /// <summary>The writer's mean output over the reference batch, per position (mean ablation).</summary>
    Mean,

    /// <summary>The writer's output on another row of the reference batch, drawn by a seeded permutation (resample ablation).</summary>
    Resample,
}
