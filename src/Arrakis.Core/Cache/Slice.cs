using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// A selection along one dimension (TL <c>Slice</c>): everything, one index (which removes the dimension, like
/// <c>x[..., -1, :]</c>), a range, or a list of indices. Negative indices count from the end.
/// Converts implicitly from <see cref="int"/>, <see cref="System.Range"/> and <see cref="long"/>[].
/// </summary>
public sealed record Slice
{
    private Slice(int? index, System.Range? range, long[]? indices)
    {
        Index = index;
        Range = range;
        Indices = indices;
    }

    /// <summary>Everything (no slicing).</summary>
    public static Slice All { get; } = new(null, null, null);

    /// <summary>One index; the dimension is removed.</summary>
    public int? Index { get; }

    /// <summary>A contiguous range.</summary>
    public System.Range? Range { get; }

    /// <summary>An explicit list of indices.</summary>
    public long[]? Indices { get; }

    /// <summary>Whether this slice removes the dimension it is applied to.</summary>
    public bool RemovesDimension => Index is not null;

    /// <summary>Selects one index.</summary>
    public static Slice At(int index) => new(index, null, null);

    /// <summary>Selects a range.</summary>
    public static Slice Of(System.Range range) => new(null, range, null);

    /// <summary>Selects a list of indices.</summary>
    public static Slice Of(params long[] indices) => new(null, null, indices ?? throw new ArgumentNullException(nameof(indices)));

    /// <summary>One index.</summary>
    public static implicit operator Slice(int index) => At(index);

    /// <summary>A range.</summary>
    public static implicit operator Slice(System.Range range) => Of(range);

    /// <summary>A list of indices.</summary>
    public static implicit operator Slice(long[] indices) => Of(indices);

    /// <summary>Applies the selection to dimension <paramref name="dim"/> (negative counts from the end).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index lies outside the dimension; the message names it and the size.</exception>
    public Tensor Apply(Tensor input, int dim)
    {
        int d = dim < 0 ? dim + (int)input.dim() : dim;
        long size = input.shape[d];
        if (Index is { } i)
        {
            long resolved = i < 0 ? i + size : i;
            if (resolved < 0 || resolved >= size)
                throw new ArgumentOutOfRangeException("slice", i, $"index outside a dimension of size {size}.");
            return input.select(d, resolved);
        }
        if (Range is { } r)
        {
            var (offset, length) = r.GetOffsetAndLength((int)size);
            return input.narrow(d, offset, length);
        }
        if (Indices is { } list)
        {
            var resolved = list.Select(x => x < 0 ? x + size : x).ToArray();
            var bad = resolved.Where(x => x < 0 || x >= size).ToList();
            if (bad.Count > 0)
                throw new ArgumentOutOfRangeException("slice", bad[0], $"index outside a dimension of size {size}.");
            return input.index_select(d, tensor(resolved, device: input.device));
        }
        return input;
    }

    /// <summary>The indices this slice selects from a dimension of <paramref name="size"/>, in order.</summary>
    public long[] IndicesIn(long size)
    {
        if (Index is { } i)
            return [i < 0 ? i + size : i];
        if (Range is { } r)
        {
            var (offset, length) = r.GetOffsetAndLength((int)size);
            return Enumerable.Range(offset, length).Select(x => (long)x).ToArray();
        }
        if (Indices is { } list)
            return list.Select(x => x < 0 ? x + size : x).ToArray();
        return Enumerable.Range(0, (int)size).Select(x => (long)x).ToArray();
    }
}
