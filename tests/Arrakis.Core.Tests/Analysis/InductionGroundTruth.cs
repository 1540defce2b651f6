using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis;

/// <summary>
/// Test helpers around <see cref="global::Arrakis.HandBuiltInduction"/>, the hand-built two-layer induction circuit used as
/// ground truth: its heads, repeated sequences and the induction metric.
/// </summary>
internal static class InductionGroundTruth
{
    public const int Vocab = global::Arrakis.HandBuiltInduction.Vocab, Positions = global::Arrakis.HandBuiltInduction.Positions, DModel = global::Arrakis.HandBuiltInduction.DModel;
    public static readonly HeadIndex PreviousTokenHead = (0, 0), InductionHead = (1, 0), UnrelatedWriter = (0, 1), UnrelatedReader = (1, 1);

    public static HookedTransformer Create() => global::Arrakis.HandBuiltInduction.Create();

    /// <summary>Sequences of <paramref name="count"/> random permutations of the vocabulary, each repeated twice: [count, 16].</summary>
    public static Tensor RepeatedSequences(int count, int seed = 0)
    {
        var random = new Random(seed);
        var rows = new long[count * Positions];
        for (int s = 0; s < count; s++)
        {
            var half = Enumerable.Range(0, Vocab).OrderBy(_ => random.Next()).ToArray();
            for (int i = 0; i < Positions; i++)
                rows[s * Positions + i] = half[i % Vocab];
        }
        return tensor(rows).reshape(count, Positions);
    }

    /// <summary>Mean log-probability of the true next token over the repeated half (from its third token: position 0 also "sees" its own token as previous, so the first repeat is ambiguous): [batch].</summary>
    public static Tensor InductionMetric(Tensor logits, Tensor tokens) =>
        logits[.., (Vocab + 1)..^1].log_softmax(-1).gather(-1, tokens[.., (Vocab + 2)..].unsqueeze(-1)).squeeze(-1).mean([1L]);
}
