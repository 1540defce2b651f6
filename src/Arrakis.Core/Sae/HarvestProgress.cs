using System.Globalization;

namespace Arrakis.Sae;

/// <summary>A progress report of <see cref="ActivationStore.Harvest"/>, sent after every batch.</summary>
/// <param name="Batches">Batches done (resumed ones included).</param>
/// <param name="TotalBatches">Batches in the dataset.</param>
/// <param name="Tokens">Tokens harvested in this session.</param>
/// <param name="TokensPerSecond">This session's throughput.</param>
/// <param name="Elapsed">This session's time.</param>
/// <param name="Remaining">Estimated time to the end at this pace.</param>
/// <param name="Shard">The shard being written.</param>
/// <param name="Shards">Shards in the store.</param>
public sealed record HarvestProgress(long Batches, long TotalBatches, long Tokens, double TokensPerSecond, TimeSpan Elapsed,
    TimeSpan Remaining, int Shard, int Shards)
{
    /// <summary>The live progress line.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"batch {Batches}/{TotalBatches}  shard {Shard + 1}/{Shards}  {TokensPerSecond:N0} tok/s  ETA {Remaining:hh\\:mm\\:ss}");
}
