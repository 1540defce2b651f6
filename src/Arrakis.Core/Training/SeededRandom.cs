namespace Arrakis.Training;

/// <summary>
/// A small, fully specified pseudo-random generator (SplitMix64) for data generation. Unlike <see cref="Random"/>, its
/// sequence is fixed by this file alone, so a (seed, stream) pair names the same data on every runtime and machine.
/// </summary>
/// <remarks>
/// Training data for step <c>s</c> comes from <c>new SeededRandom(seed, s)</c>: a batch is a pure function of the seed and
/// the step, which is what makes a resumed run see exactly the batches an uninterrupted one would.
/// </remarks>
public sealed class SeededRandom
{
    private ulong _state;

    /// <summary>A generator for <paramref name="seed"/> and an independent <paramref name="stream"/> (e.g. the step).</summary>
    public SeededRandom(long seed, long stream = 0)
    {
        _state = Mix((ulong)seed ^ 0x9E3779B97F4A7C15UL) ^ Mix((ulong)stream + 0xD1B54A32D192ED03UL);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>) (unbiased).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxExclusive"/> is not positive.</exception>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxExclusive, 0);
        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;  // reject the low values that would bias the modulo
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold)
                return (int)(r % bound);
        }
    }

    /// <summary>A uniform integer in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    public int Next(int minInclusive, int maxExclusive) => minInclusive + Next(maxExclusive - minInclusive);

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniformly chosen element.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Shuffles in place (Fisher–Yates).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
