using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis;

/// <summary>
/// A two-layer attention-only model whose weights are set by hand to implement an induction circuit, so that tools can be
/// checked against ground truth. Residual subspaces: current token (V dims), position (P), previous token (V), output (V),
/// junk (4). L0H0 attends to the previous position and copies its token into "previous token"; L1H0's query reads the
/// current token and its key reads "previous token" (K-composition with L0H0), and it copies the attended token into
/// "output", which the unembedding reads. L0H1 and L1H1 attend uniformly and write only junk.
/// </summary>
internal static class HandBuiltInduction
{
    public const int Vocab = 8, Positions = 16, Junk = 4, DHead = 16;
    public const int DModel = 3 * Vocab + Positions + Junk;
    public static readonly HeadIndex PreviousTokenHead = (0, 0), InductionHead = (1, 0), UnrelatedWriter = (0, 1), UnrelatedReader = (1, 1);

    private static int Tok(int t) => t;
    private static int Pos(int p) => Vocab + p;
    private static int Prev(int t) => Vocab + Positions + t;
    private static int Out(int t) => 2 * Vocab + Positions + t;
    private static int JunkDim(int j) => 3 * Vocab + Positions + j;

    public static HookedTransformer Create()
    {
        var cfg = new HookedTransformerConfig
        {
            NLayers = 2, DModel = DModel, NHeads = 2, DHead = DHead, DVocab = Vocab, NCtx = Positions, AttnOnly = true,
            Normalization = NormalizationType.None, ModelName = "hand-built-induction",
        };
        var model = new HookedTransformer(cfg);
        const float c = 6.5f; // √40: matched query/key pairs score 40 / √d_head = 10
        using var noGrad = no_grad();
        foreach (var (_, p) in model.named_parameters())
            p.zero_();
        Set(model.embed.W_E, (t, _) => 1, Enumerable.Range(0, Vocab).Select(t => (t, Tok(t))));
        Set(model.pos_embed!.W_pos, (_, _) => 1, Enumerable.Range(0, Positions).Select(p => (p, Pos(p))));

        var l0 = model.blocks[0].attn;
        Set(l0.W_Q[0], (_, _) => c, Enumerable.Range(0, Positions).Select(p => (Pos(p), p)));                  // query: my position
        Set(l0.W_K[0], (_, _) => c, Enumerable.Range(0, Positions - 1).Select(j => (Pos(j), j + 1)));          // key: position + 1
        Set(l0.W_V[0], (_, _) => 1, Enumerable.Range(0, Vocab).Select(t => (Tok(t), t)));                     // value: token
        Set(l0.W_O[0], (_, _) => 1, Enumerable.Range(0, Vocab).Select(t => (t, Prev(t))));                   // write: previous token
        Set(l0.W_V[1], (_, _) => 1, Enumerable.Range(0, Vocab).Select(t => (Tok(t), t)));
        Set(l0.W_O[1], (_, _) => 1, Enumerable.Range(0, Vocab).Select(t => (t, JunkDim(t % Junk))));

        var l1 = model.blocks[1].attn;
        Set(l1.W_Q[0], (_, _) => c, Enumerable.Range(0, Vocab).Select(t => (Tok(t), t)));                   // query: current token
        Set(l1.W_K[0], (_, _) => c, Enumerable.Range(0, Vocab).Select(t => (Prev(t), t)));                  // key: previous token
        Set(l1.W_V[0], (_, _) => 1, Enumerable.Range(0, Vocab).Select(t => (Tok(t), t)));
        Set(l1.W_O[0], (_, _) => 1, Enumerable.Range(0, Vocab).Select(t => (t, Out(t))));                    // write: predicted token
        Set(l1.W_V[1], (_, _) => 1, Enumerable.Range(0, Vocab).Select(t => (Tok(t), t)));
        Set(l1.W_O[1], (_, _) => 1, Enumerable.Range(0, Vocab).Select(t => (t, JunkDim((t + 1) % Junk))));

        Set(model.unembed.W_U, (_, _) => 10, Enumerable.Range(0, Vocab).Select(t => (Out(t), t)));
        return model;
    }

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

    private static void Set(Tensor matrix, Func<int, int, float> value, IEnumerable<(int Row, int Column)> entries)
    {
        foreach (var (row, column) in entries)
            matrix[row, column] = tensor(value(row, column));
    }
}
