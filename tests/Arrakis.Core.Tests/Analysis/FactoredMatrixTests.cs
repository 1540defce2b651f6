using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis;

public class FactoredMatrixTests
{
    private static FactoredMatrix Random(long seed, params long[] batch)
    {
        var g = new Generator((ulong)seed);
        return new FactoredMatrix(randn(batch.Concat(new long[] { 12, 3 }).ToArray(), dtype: float64, generator: g),
            randn(batch.Concat(new long[] { 3, 12 }).ToArray(), dtype: float64, generator: g));
    }

    private static void Close(Tensor expected, Tensor actual, double tolerance = 1e-9) =>
        Assert.True(expected.allclose(actual, rtol: 0, atol: tolerance), $"max error {(expected - actual).abs().max().item<double>()}");

    [Fact]
    public void Products_AgreeWithTheMaterialisedMatrices()
    {
        using var scope = NewDisposeScope();
        using var m = Random(1, 2);
        using var other = Random(2, 2);
        var dense = m.AB;
        Assert.Equal(new long[] { 2, 12, 12 }, m.Shape);
        using (var t = m.T) Close(dense.transpose(-2, -1), t.AB);
        var right = randn(12, 5, dtype: float64);
        using (var mr = m.MatMul(right)) Close(dense.matmul(right), mr.AB);
        var left = randn(4, 12, dtype: float64);
        using (var lm = m.LeftMatMul(left)) Close(left.matmul(dense), lm.AB);
        using (var mm = m * other)
        {
            Close(dense.matmul(other.AB), mm.AB);
            Assert.Equal(3, mm.MDim);
        }
        Close(dense[.., ..3, ..3], m.GetCorner(3));
        using var second = m[1];
        Close(dense[1], second.AB);
    }

    [Fact]
    public void NormSvdAndEigenvalues_ComeFromTheSmallFactors_AndMatchTheDenseOnes()
    {
        using var scope = NewDisposeScope();
        using var m = Random(3, 4);
        var dense = m.AB;
        Close(linalg.matrix_norm(dense), m.Norm());
        var (u, s, vh) = m.Svd();
        Assert.Equal(new long[] { 4, 12, 3 }, u.shape);
        Close(dense, (u * s.unsqueeze(-2)).matmul(vh), 1e-8);
        Close(linalg.svdvals(dense)[.., ..3], s, 1e-8);
        var eigen = m.Eigenvalues().abs().sort(-1, descending: true).Values;
        var denseEigen = linalg.eigvals(dense).abs().sort(-1, descending: true).Values[.., ..3];
        Close(denseEigen, eigen, 1e-6);
    }

    [Fact]
    public void MismatchedFactors_AreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new FactoredMatrix(zeros(4, 3), zeros(2, 4)));
        Assert.Contains("[4, 3]", e.Message);
        using var m = Random(1);
        Assert.Throws<ArgumentException>(() => m.MatMul(zeros(5, 2, dtype: float64)));
        Assert.Throws<InvalidOperationException>(() => m[0]);
    }
}

public class CompositionScoreTests
{
    [Fact]
    public void AnExactlyAlignedPair_ScoresOne_AndAnOrthogonalPairScoresZero()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        var u = randn(16, 1, generator: g);
        var v = randn(16, 1, generator: g);
        var w = randn(16, 1, generator: g);
        var x = randn(16, 1, generator: g);
        x = x - v * (v.t().matmul(x) / v.t().matmul(v));  // x ⊥ v
        using var writer = new FactoredMatrix(u.clone(), v.t().clone());     // u·vᵀ writes along u, reads... its output is v
        using var aligned = new FactoredMatrix(v.clone(), w.t().clone());    // reads exactly v
        using var orthogonal = new FactoredMatrix(x.clone(), w.t().clone()); // reads only a direction ⊥ v
        Assert.Equal(1.0, CompositionScores.Score(writer, aligned).item<float>(), 5);
        Assert.Equal(0.0, CompositionScores.Score(writer, orthogonal).item<float>(), 5);
    }

    [Fact]
    public void RandomGaussianHeads_ScoreNearOneOverRootDModel()
    {
        foreach (int dModel in new[] { 64, 256 })
        {
            double baseline = CompositionScores.RandomBaseline(dModel, dHead: 16, samples: 64, seed: 1);
            double expected = 1 / Math.Sqrt(dModel);
            Assert.InRange(baseline, 0.85 * expected, 1.15 * expected);
        }
    }

    [Theory]
    [InlineData(CompositionKind.Q)]
    [InlineData(CompositionKind.K)]
    [InlineData(CompositionKind.V)]
    public void AllCompositionScores_AreTheDenseDefinition_ForCausalPairs_AndZeroOtherwise(CompositionKind kind)
    {
        using var scope = NewDisposeScope();
        using var model = new HookedTransformer(TestModels.Config("llama") with { NLayers = 3 });
        var scores = model.AllCompositionScores(kind);
        Assert.Equal(new long[] { 3, 4, 3, 4 }, scores.shape);
        var wq = model.W_Q; var wk = model.W_KExpanded; var wv = model.W_VExpanded; var wo = model.W_O;
        for (int l1 = 0; l1 < 3; l1++)
            for (int l2 = 0; l2 < 3; l2++)
                for (int h1 = 0; h1 < 4; h1++)
                    for (int h2 = 0; h2 < 4; h2++)
                    {
                        float actual = scores[l1, h1, l2, h2].item<float>();
                        if (l1 >= l2)
                        {
                            Assert.Equal(0f, actual);
                            continue;
                        }
                        var ov = wv[l1, h1].matmul(wo[l1, h1]);
                        var reader = kind switch
                        {
                            CompositionKind.Q => wq[l2, h2].matmul(wk[l2, h2].t()),
                            CompositionKind.K => wq[l2, h2].matmul(wk[l2, h2].t()).t(),
                            _ => wv[l2, h2].matmul(wo[l2, h2]),
                        };
                        double expected = (linalg.matrix_norm(ov.matmul(reader)) / (linalg.matrix_norm(ov) * linalg.matrix_norm(reader))).item<float>();
                        Assert.Equal(expected, actual, 4);
                    }
    }
}
