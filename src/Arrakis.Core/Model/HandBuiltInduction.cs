using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// A two-layer attention-only model whose weights are set by hand to implement an induction circuit: ground truth by
/// construction (the trained counterpart is the zoo's <c>attn-only-2l</c>). Residual subspaces: current token, position, previous
/// token, output, junk. L0H0 attends to the previous position and copies its token into "previous token"; L1H0's
/// query reads the current token and its key reads "previous token" (K-composition with L0H0) and it copies the
/// attended token into "output", which the unembedding reads. L0H1 and L1H1 attend uniformly and write only junk.
/// </summary>
/// <remarks>Also the ground-truth model of the path-patching and attribution tests (tests/Arrakis.Core.Tests).</remarks>
public static class HandBuiltInduction
{
    /// <summary>The model's name.</summary>
    public const string Name = "hand-built-induction";

    /// <summary>Vocabulary size, context length, junk dimensions and head size.</summary>
    public const int Vocab = 8, Positions = 16, Junk = 4, DHead = 16;

    /// <summary>The residual width: token, position, previous token and output subspaces plus junk.</summary>
    public const int DModel = 3 * Vocab + Positions + Junk;

    private static int Tok(int t) => t;
    private static int Pos(int p) => Vocab + p;
    private static int Prev(int t) => Vocab + Positions + t;
    private static int Out(int t) => 2 * Vocab + Positions + t;
    private static int JunkDim(int j) => 3 * Vocab + Positions + j;

    /// <summary>Builds the model on <paramref name="device"/> in <paramref name="dtype"/> (float32 by default).</summary>
    public static HookedTransformer Create(DeviceChoice device = DeviceChoice.Cpu, ScalarType dtype = ScalarType.Float32)
    {
        var cfg = new HookedTransformerConfig
        {
            NLayers = 2, DModel = DModel, NHeads = 2, DHead = DHead, DVocab = Vocab, NCtx = Positions, AttnOnly = true,
            Normalization = NormalizationType.None, ModelName = Name, Device = device, Dtype = dtype,
        };
        var model = new HookedTransformer(cfg);
        const float c = 6.5f; // √40: matched query/key pairs score 40 / √d_head = 10
        using (no_grad())
        {
            foreach (var (_, p) in model.named_parameters())
                p.zero_();
            Set(model.embed.W_E, 1, Enumerable.Range(0, Vocab).Select(t => (t, Tok(t))));
            Set(model.pos_embed!.W_pos, 1, Enumerable.Range(0, Positions).Select(p => (p, Pos(p))));

            var l0 = model.blocks[0].attn;
            Set(l0.W_Q[0], c, Enumerable.Range(0, Positions).Select(p => (Pos(p), p)));            // query: my position
            Set(l0.W_K[0], c, Enumerable.Range(0, Positions - 1).Select(j => (Pos(j), j + 1)));    // key: position + 1
            Set(l0.W_V[0], 1, Enumerable.Range(0, Vocab).Select(t => (Tok(t), t)));               // value: token
            Set(l0.W_O[0], 1, Enumerable.Range(0, Vocab).Select(t => (t, Prev(t))));             // write: previous token
            Set(l0.W_V[1], 1, Enumerable.Range(0, Vocab).Select(t => (Tok(t), t)));
            Set(l0.W_O[1], 1, Enumerable.Range(0, Vocab).Select(t => (t, JunkDim(t % Junk))));

            var l1 = model.blocks[1].attn;
            Set(l1.W_Q[0], c, Enumerable.Range(0, Vocab).Select(t => (Tok(t), t)));             // query: current token
            Set(l1.W_K[0], c, Enumerable.Range(0, Vocab).Select(t => (Prev(t), t)));            // key: previous token
            Set(l1.W_V[0], 1, Enumerable.Range(0, Vocab).Select(t => (Tok(t), t)));
            Set(l1.W_O[0], 1, Enumerable.Range(0, Vocab).Select(t => (t, Out(t))));              // write: predicted token
            Set(l1.W_V[1], 1, Enumerable.Range(0, Vocab).Select(t => (Tok(t), t)));
            Set(l1.W_O[1], 1, Enumerable.Range(0, Vocab).Select(t => (t, JunkDim((t + 1) % Junk))));

            Set(model.unembed.W_U, 10, Enumerable.Range(0, Vocab).Select(t => (Out(t), t)));
        }
        return model;
    }

    private static void Set(Tensor matrix, float value, IEnumerable<(int Row, int Column)> entries)
    {
        foreach (var (row, column) in entries)
            matrix[row, column].fill_(value);  // in place: no tensor is made, so nothing lands on another device
    }
}
