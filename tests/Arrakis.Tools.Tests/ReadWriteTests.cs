using Arrakis.Tests.Analysis;
using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

[Collection(ToolsCollection.Name)]
public sealed class ReadWriteTests(BuiltInTools tools)
{
    private static readonly HeadIndex PreviousToken = InductionGroundTruth.PreviousTokenHead, Induction = InductionGroundTruth.InductionHead;

    [Fact]
    public void OnTheHandBuiltCircuit_TheInductionHeadCopies_AndThePreviousTokenHeadPrefersThePreviousPosition()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var readWrite = tools.ReadWrite(model);

        // L1H0 maps token t to "output t", which the unembedding reads as t: its full OV circuit is the identity.
        var copying = readWrite.CopyingScores();
        Assert.Equal(1, copying[Induction], 5);
        Assert.Equal(0, copying[PreviousToken], 5);   // L0H0 writes "previous token", which W_U never reads
        for (long t = 0; t < InductionGroundTruth.Vocab; t++)
        {
            var ov = readWrite.OvCircuit(Induction, t, topK: 2);
            Assert.Equal(t, ov.Top[0].Token);
            Assert.True(ov.Top[0].Value > ov.Top[1].Value);
        }

        var positional = readWrite.PositionalQk(PreviousToken);
        Assert.Equal(1, positional.PreviousPositionShare, 6);
        Assert.Equal(Enumerable.Range(0, InductionGroundTruth.Positions - 1), positional.PreferredKey.Skip(1));   // query q prefers key q − 1
    }

    [Fact]
    public void OnTheShippedAttnOnly2l_TheInductionHeadsCopy_AndThePreviousTokenHeadReadsThePreviousPosition()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("attn-only-2l");
        var tokens = InductionTokens(model, 16);
        var attention = tools.Attention(model);
        var induction = attention.DetectHead(tokens, HeadName.InductionHead, matchedQueriesOnly: true);
        var previous = attention.DetectHead(tokens, HeadName.PreviousTokenHead, matchedQueriesOnly: true);
        var readWrite = tools.ReadWrite(model);

        var copying = readWrite.CopyingScores();
        var inductionHeads = induction.Scores.Where(s => s.Head.Layer == 1 && s.Score >= 0.5).Select(s => s.Head).ToList();
        Assert.NotEmpty(inductionHeads);
        Assert.All(inductionHeads, h => Assert.True(copying[h] >= 0.9, $"{h}: copying {copying[h]}\n{copying}"));

        var previousTokenHead = previous.Best(h => h.Layer == 0).Head;
        var positional = readWrite.PositionalQk(previousTokenHead);
        // Measured 71 % for L0H2 (every query from 3 to 36 prefers its previous position; past 52 the positional circuit
        // alone stops deciding), against ≈ 7 % for a key chosen at random among k ≤ q.
        Assert.True(positional.PreviousPositionShare >= 0.6, positional.ToString());
    }

    [Fact]
    public void FullCircuits_AreTheProductsOfTheWeights_UnderGroupedQueryAttention()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");
        HeadIndex head = (1, 3);
        var readWrite = tools.ReadWrite(model);

        var ov = model.W_E.matmul(model.W_VExpanded[1, 3]).matmul(model.W_O[1, 3]).matmul(model.W_U);   // [d_vocab, d_vocab]
        var ovRow = readWrite.OvCircuit(head, 7, topK: 3);
        var (values, ids) = ov[7].topk(3);
        Assert.Equal(ids.data<long>().ToArray(), ovRow.Top.Select(t => t.Token));
        Assert.Equal(values[0].item<float>(), ovRow.Top[0].Value, 4);

        var eigenvalues = linalg.eigvals(ov.to(float64));
        double expected = eigenvalues.real.sum().item<double>() / eigenvalues.abs().sum().item<double>();
        Assert.Equal(expected, ovRow.CopyingScore, 3);

        var qk = model.W_E.matmul(model.W_Q[1, 3]).matmul(model.W_KExpanded[1, 3].T).matmul(model.W_E.T);
        var qkRow = readWrite.QkCircuit(head, 5, topK: 1);
        Assert.Equal(qk[5].argmax().item<long>(), qkRow.Top[0].Token);
    }

    [Fact]
    public void SvdInterpreter_GivesTheSingularValues_AndProjectsTheDirectionsOntoTheVocabulary()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var readWrite = tools.ReadWrite(model);

        var ov = readWrite.SvdInterpreter(SvdTarget.OV, 1, 2, vectors: 3, topK: 4);
        var matrix = model.W_V[1, 2].matmul(model.W_O[1, 2]);
        var (_, s, vh) = linalg.svd(matrix, fullMatrices: false);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(s[i].item<float>(), ov.Directions[i].SingularValue, 4);
            // A singular vector is defined up to sign: the projection's two ends swap with it.
            var projection = vh[i].matmul(model.W_U);
            var top = projection.argmax().item<long>();
            var bottom = projection.argmin().item<long>();
            Assert.Contains((ov.Directions[i].Top[0].Token, ov.Directions[i].Bottom[0].Token), new[] { (top, bottom), (bottom, top) });
        }

        var mlp = readWrite.SvdInterpreter(SvdTarget.MlpOut, 0, vectors: 2);
        Assert.Equal(linalg.svdvals(model.W_out[0])[0].item<float>(), mlp.Directions[0].SingularValue, 4);
        Assert.Null(mlp.Head);

        using var attnOnly = InductionGroundTruth.Create();
        Assert.Throws<InvalidOperationException>(() => tools.ReadWrite(attnOnly).SvdInterpreter(SvdTarget.MlpOut, 0));
        Assert.Equal("head", Assert.Throws<ArgumentOutOfRangeException>(() => readWrite.SvdInterpreter(SvdTarget.QK, 0, 99)).ParamName);
        Assert.Equal("sourceToken", Assert.Throws<ArgumentOutOfRangeException>(() => readWrite.OvCircuit((0, 0), -1)).ParamName);
    }

    /// <summary>Random halves of distinct tokens repeated once, [count, 2 × 32].</summary>
    private static Tensor InductionTokens(HookedTransformer model, int count)
    {
        int half = Math.Min(32, model.Cfg.NCtx / 2);
        var random = new Random(11);
        var rows = new long[count * 2 * half];
        for (int s = 0; s < count; s++)
        {
            var first = Enumerable.Range(0, model.Cfg.DVocab).OrderBy(_ => random.Next()).Take(half).ToArray();
            for (int i = 0; i < 2 * half; i++) rows[s * 2 * half + i] = first[i % half];
        }
        return tensor(rows).reshape(count, 2 * half);
    }
}
