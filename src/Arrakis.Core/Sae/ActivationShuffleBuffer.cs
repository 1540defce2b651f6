using Arrakis.Training;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// Training batches from an <see cref="ActivationStore"/> (SAELens's mixing buffer): shards are read in a seeded random
/// order per epoch and appended to what is left of the buffer until it holds <c>bufferRows</c>, then the buffer is
/// permuted and served from the front. Memory: the buffer plus one shard.
/// </summary>
internal sealed class ActivationShuffleBuffer : IActivationSource
{
    private readonly ActivationStore _store;
    private readonly long _seed;
    private readonly int _bufferRows;
    private readonly Queue<int> _shards = new();
    private Tensor _buffer;
    private long _position;
    private long _epoch = -1, _refills;

    public ActivationShuffleBuffer(ActivationStore store, long seed, int bufferRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(bufferRows, 0);
        if (!store.IsComplete)
            throw new InvalidOperationException($"The activation store in '{store.Directory}' is incomplete: run the harvest again to finish it.");
        _store = store;
        _seed = seed;
        _bufferRows = bufferRows;
        _buffer = zeros(0, store.DIn, dtype: ScalarType.Float32, device: CPU).DetachFromDisposeScope();
    }

    public int DIn => _store.DIn;

    public Tensor Next(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(batchSize, 0);
        while (_buffer.shape[0] - _position < batchSize)
            Refill(batchSize);
        var batch = _buffer[(int)_position..(int)(_position + batchSize)].clone();
        _position += batchSize;
        return batch;
    }

    private void Refill(int batchSize)
    {
        var parts = new List<Tensor> { _buffer[(int)_position..] };
        long rows = parts[0].shape[0];
        while (rows < Math.Max(_bufferRows, batchSize))
        {
            if (_shards.Count == 0)
            {
                _epoch++;
                var order = Enumerable.Range(0, _store.ShardCount).ToArray();
                new SeededRandom(_seed, _epoch).Shuffle(order);
                foreach (int i in order) _shards.Enqueue(i);
            }
            var shard = _store.LoadShard(_shards.Dequeue());
            parts.Add(shard);
            rows += shard.shape[0];
        }
        using var joined = cat(parts, 0);
        var generator = new Generator((ulong)(_seed * 1_000_003 + ++_refills), device: CPU);
        using var permutation = randperm(rows, generator: generator, device: CPU);
        var next = joined.index_select(0, permutation).DetachFromDisposeScope();  // lives across the caller's steps
        foreach (var part in parts) part.Dispose();
        _buffer.Dispose();
        _buffer = next;
        _position = 0;
    }
}
