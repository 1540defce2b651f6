using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// A token dataset as numbered batches, each a pure function of its index, so a harvest can stop and resume at any
/// batch without repeating or skipping one.
/// </summary>
public interface ITokenBatches
{
    /// <summary>What the data is, recorded in the activation store's metadata (e.g. <c>task language, seed 0, 32 × 64</c>).</summary>
    string Description { get; }

    /// <summary>How many batches there are.</summary>
    long Count { get; }

    /// <summary>Batch <paramref name="index"/>: int64 tokens [batch, pos] on the CPU.</summary>
    Tensor Batch(long index);
}
