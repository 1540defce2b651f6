using Arrakis.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// Activations held in memory [rows, d_in], served in a seeded random order: each epoch is a fresh permutation, and a
/// batch that crosses an epoch's end continues into the next.
/// </summary>
public sealed class TensorActivationSource : IActivationSource, IDisposable
{
    private readonly Tensor _rows;
    private readonly long _seed;
    private long[] _order = [];
    private long _position;
    private long _epoch = -1;

    /// <summary>Serves the rows of <paramref name="activations"/> [rows, d_in] (copied, so the caller keeps its tensor).</summary>
    /// <exception cref="ArgumentException">Not a non-empty 2-D tensor.</exception>
    public TensorActivationSource(Tensor activations, long seed)
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.dim() != 2 || activations.shape[0] == 0)
            throw new ArgumentException($"activations has shape [{string.Join(", ", activations.shape)}]; expected [rows ≥ 1, d_in].", nameof(activations));
        _rows = activations.detach().to(ScalarType.Float32).clone();
        _seed = seed;
    }

    /// <inheritdoc />
    public int DIn => (int)_rows.shape[1];

    /// <inheritdoc />
    public Tensor Next(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(batchSize, 0);
        var picks = new long[batchSize];
        for (int i = 0; i < batchSize; i++)
        {
            if (_position >= _order.Length)
                NextEpoch();
            picks[i] = _order[_position++];
        }
        using var index = tensor(picks, dtype: ScalarType.Int64, device: _rows.device);
        return _rows.index_select(0, index);
    }

    private void NextEpoch()
    {
        _epoch++;
        _order = new long[_rows.shape[0]];
        for (long i = 0; i < _order.Length; i++) _order[i] = i;
        new SeededRandom(_seed, _epoch).Shuffle(_order);
        _position = 0;
    }

    /// <inheritdoc />
    public void Dispose() => _rows.Dispose();
}
