namespace Arrakis;

/// <summary>How many patched variants share one forward pass.</summary>
/// <remarks>
/// Patched variants of the input go through the model stacked along the batch dimension. The number per pass is the
/// largest that keeps the estimated peak memory of one forward pass within <see cref="MemoryBudgetBytes"/> (see
/// <see cref="ActivationPatching.EstimatedBytesPerSequence"/>), capped by <see cref="MaxVariantsPerPass"/>; at least one.
/// </remarks>
public sealed record PatchingOptions
{
    /// <summary>The options used when none are given: a 256 MiB budget, no cap.</summary>
    public static PatchingOptions Default { get; } = new();

    /// <summary>One patch per forward pass: TransformerLens's loop, the reference batched runs are tested against.</summary>
    public static PatchingOptions OnePatchPerForward { get; } = new() { MaxVariantsPerPass = 1 };

    /// <summary>Memory one patched forward pass may use, in bytes (estimated); default 256 MiB.</summary>
    public long MemoryBudgetBytes { get; init; } = 256L << 20;

    /// <summary>An upper bound on the variants per pass, whatever the budget allows; <c>null</c>: none.</summary>
    public int? MaxVariantsPerPass { get; init; }
}
