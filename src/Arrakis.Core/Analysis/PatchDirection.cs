namespace Arrakis;

/// <summary>Which run an activation patch goes into (both directions of Heimersheim &amp; Nanda's "How to use and interpret activation patching").</summary>
public enum PatchDirection
{
    /// <summary>
    /// Run the corrupted input and patch in the clean activation (TransformerLens's <c>patching.py</c>, its only
    /// direction): how much of the clean behaviour one component restores. Baseline: the corrupted run's metric.
    /// </summary>
    Denoising,

    /// <summary>
    /// Run the clean input and patch in the corrupted activation: how much corrupting one component breaks the clean
    /// behaviour. Baseline: the clean run's metric.
    /// </summary>
    Noising,
}
