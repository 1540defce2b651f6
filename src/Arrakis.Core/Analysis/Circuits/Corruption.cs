using static TorchSharp.torch;

namespace Arrakis.Circuits;

/// <summary>
/// The corrupted value w′_u of every writer u, for circuit discovery and evaluation: a paired corrupted prompt, the mean over
/// a reference batch, or a resample from it.
/// </summary>
/// <param name="Kind">Paired, mean or resample.</param>
/// <param name="Tokens">Paired: the corrupted tokens. Mean/resample: the reference batch, or <c>null</c> for the clean tokens
/// themselves. Always the clean tokens' shape [batch, pos].</param>
/// <param name="Seed">Resample: the seed of the row permutation.</param>
public sealed record Corruption(CorruptionKind Kind, Tensor? Tokens = null, int Seed = 0)
{
    /// <summary>A paired corrupted prompt per clean row.</summary>
    public static Corruption Paired(Tensor corruptedTokens) =>
        new(CorruptionKind.Paired, corruptedTokens ?? throw new ArgumentNullException(nameof(corruptedTokens)));

    /// <summary>Mean ablation over <paramref name="reference"/> (default: the clean batch), per position.</summary>
    public static Corruption Mean(Tensor? reference = null) => new(CorruptionKind.Mean, reference);

    /// <summary>Resample ablation from <paramref name="reference"/> (default: the clean batch), rows permuted with <paramref name="seed"/>.</summary>
    public static Corruption Resample(Tensor? reference = null, int seed = 0) => new(CorruptionKind.Resample, reference, seed);

    /// <summary>
    /// The source tokens whose writes are the corrupted values, [batch, pos] on the model's device, and the transform of those
    /// writes (the batch mean for <see cref="CorruptionKind.Mean"/>, else none).
    /// </summary>
    internal (Tensor Source, Func<Tensor, Tensor>? Transform) Source(HookedTransformer model, Tensor clean)
    {
        if (!Enum.IsDefined(Kind))
            throw new ArgumentOutOfRangeException("corruption", Kind, "expected Paired, Mean or Resample.");
        var reference = Tokens is null ? clean : InputValidation.Tokens(Tokens, model.Cfg, "corruption").to(model.Device);
        long batch = clean.shape[0];
        switch (Kind)
        {
            case CorruptionKind.Paired:
                if (Tokens is null)
                    throw new ArgumentException("corruption is Paired without tokens; expected the corrupted tokens, the clean shape.", "corruption");
                Same(reference, clean);
                return (reference, null);
            case CorruptionKind.Mean:
                Same(reference, clean);
                // Writes are computed on the reference batch, averaged per position, then broadcast to every row.
                return (reference, x => x.mean([0L], keepdim: true).expand(x.shape).contiguous());
            default:
                Same(reference, clean);
                var order = Enumerable.Range(0, (int)batch).Select(i => (long)i).ToArray();
                new Random(Seed).Shuffle(order);
                return (reference.index_select(0, tensor(order, device: reference.device)), null);
        }
    }

    private void Same(Tensor reference, Tensor clean)
    {
        if (!reference.shape.SequenceEqual(clean.shape))
            throw new ArgumentException($"corruption ({Kind}) has tokens of shape [{string.Join(", ", reference.shape)}]; expected the clean tokens' shape " +
                $"[{string.Join(", ", clean.shape)}] (a patch is position by position; a mean or resample is taken over a batch of that shape).", "corruption");
    }
}
