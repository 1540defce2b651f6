using Arrakis.Hooks;
using Arrakis.Tests.Analysis;
using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

[Collection(ToolsCollection.Name)]
public sealed class AttentionTests(BuiltInTools tools)
{
    private static readonly HeadIndex PreviousToken = InductionGroundTruth.PreviousTokenHead, Induction = InductionGroundTruth.InductionHead,
        UniformWriter = InductionGroundTruth.UnrelatedWriter, UniformReader = InductionGroundTruth.UnrelatedReader;

    [Fact]
    public void Patterns_AreTheForwardPassesOwn_AndTheSummariesMatchTheHandBuiltHeads()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(2, seed: 3);

        using var result = tools.Attention(model).AttentionPatterns(tokens, batchIndex: 1);

        var (_, cache) = model.RunWithCache(tokens[1].unsqueeze(0));
        using (cache)
            for (int l = 0; l < 2; l++)
                Assert.True(result.Patterns[l].allclose(cache["pattern", l][0], rtol: 0, atol: 1e-6), $"layer {l}");
        Assert.True(result.Patterns.sum(-1).allclose(ones(2, 2, 16), rtol: 0, atol: 1e-5));   // every row a distribution
        Assert.Equal(tokens[1].data<long>().ToArray(), result.Tokens);

        // L0H0 attends to the previous position (scores 10 apart: weight e^10/(e^10 + q) ≥ 0.9993).
        Assert.True(result[PreviousToken].Previous >= 0.999, result.ToString());
        Assert.True(result[PreviousToken].Entropy < 0.01, result.ToString());
        // L0H1 has zero queries and keys, so it attends uniformly: entropy ln(q + 1), weight 1/(q + 1) on BOS and on itself.
        double meanLog = Enumerable.Range(1, 15).Average(q => Math.Log(q + 1)), meanInverse = Enumerable.Range(1, 15).Average(q => 1.0 / (q + 1));
        var uniform = result[UniformWriter];
        Assert.Equal(meanLog, uniform.Entropy, 4);
        Assert.Equal(meanInverse, uniform.Bos, 5);
        Assert.Equal(meanInverse, uniform.Self, 5);
        Assert.Equal(Enumerable.Range(1, 15).Average(q => 1.0 / (q + 1)), uniform.Previous, 5);
        Assert.Contains("L0H0", result.ToString());
    }

    [Fact]
    public void TopAttendedIds_OfThePreviousTokenHead_IsThePreviousPositionAndItsToken()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(1, seed: 4);
        long[] ids = tokens[0].data<long>().ToArray();

        var top = tools.Attention(model).TopAttendedIds(tokens, PreviousToken.Layer, PreviousToken.Head, numTokens: 3);

        Assert.Equal(16, top.Queries.Count);
        Assert.Single(top.Queries[0].Sources);              // position 0 sees only itself
        Assert.Equal(2, top.Queries[1].Sources.Count);      // position 1 sees two keys
        for (int q = 1; q < 16; q++)
        {
            var first = top.Queries[q].Sources[0];
            Assert.Equal((q - 1, ids[q - 1]), (first.Position, first.Token));
            Assert.True(first.Weight > 0.99);
            Assert.True(top.Queries[q].Sources.Zip(top.Queries[q].Sources.Skip(1)).All(p => p.First.Weight >= p.Second.Weight));
        }
    }

    [Fact]
    public void DetectionPatterns_MarkWhatTransformerLensMarks_OnAKnownSequence()
    {
        using var scope = NewDisposeScope();
        var tokens = tensor(new long[] { 5, 1, 5, 2, 1 });
        float[,] duplicate = { { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 }, { 1, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 }, { 0, 1, 0, 0, 0 } };
        float[,] induction = { { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 }, { 0, 1, 0, 0, 0 }, { 0, 0, 0, 0, 0 }, { 0, 0, 1, 0, 0 } };

        Assert.True(HeadDetector.DuplicateTokenHeadDetectionPattern(tokens)[0].allclose(tensor(duplicate), rtol: 0, atol: 0));
        Assert.True(HeadDetector.InductionHeadDetectionPattern(tokens)[0].allclose(tensor(induction), rtol: 0, atol: 0));
        Assert.True(HeadDetector.PreviousTokenHeadDetectionPattern(tokens)[0].allclose(ones(4).diag(-1), rtol: 0, atol: 0));
    }

    [Fact]
    public void DetectHead_FindsTheHandBuiltHeads_AndItsScoresAreTransformerLensFormulas()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(8);
        var attention = tools.Attention(model);

        var induction = attention.DetectHead(tokens, HeadName.InductionHead, matchedQueriesOnly: true);
        var previous = attention.DetectHead(tokens, HeadName.PreviousTokenHead, matchedQueriesOnly: true);
        var previousTl = attention.DetectHead(tokens, HeadName.PreviousTokenHead);

        Assert.Equal(Induction, induction.Best().Head);
        // 7 of the 8 marked rows attend ≈ 1 to the token after the earlier copy; the first repeated token (row 8) splits
        // its attention between keys 0 and 1, because position 0 writes its own token as its "previous token": 15/16.
        Assert.Equal(15.0 / 16, induction[Induction], 2);
        Assert.Equal(PreviousToken, previous.Best(h => h.Layer == 0).Head);
        Assert.True(previous[PreviousToken] >= 0.999, previous.ToString());
        // TL's score divides by every row's attention, and row 0 marks nothing: (n − 1)/n of the marked-rows score.
        foreach (var s in previousTl.Scores)
            Assert.Equal(15.0 / 16 * previous[s.Head], s.Score, 5);

        // The formulas, written out per sequence with loops over a cached pattern.
        var (_, cache) = model.RunWithCache(tokens);
        using (cache)
        {
            var patterns = new[] { cache["pattern", 0].to(float64), cache["pattern", 1].to(float64) };   // [batch, head, q, k]
            var detection = HeadDetector.InductionHeadDetectionPattern(tokens).to(float64);             // [batch, q, k]
            foreach (var (excludeBos, excludeCurrent) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                var mul = attention.DetectHead(tokens, HeadName.InductionHead, excludeBos, excludeCurrent);
                var abs = attention.DetectHead(tokens, HeadName.InductionHead, excludeBos, excludeCurrent, ErrorMeasure.Abs);
                foreach (var head in new HeadIndex[] { PreviousToken, UniformWriter, Induction, UniformReader })
                {
                    double mulSum = 0, absSum = 0;
                    for (int b = 0; b < 8; b++)
                    {
                        double marked = 0, total = 0, error = 0;
                        for (int q = 0; q < 16; q++)
                            for (int k = 0; k <= q; k++)
                            {
                                if ((excludeBos && k == 0) || (excludeCurrent && k == q)) continue;
                                double a = patterns[head.Layer][b, head.Head, q, k].item<double>(), d = detection[b, q, k].item<double>();
                                marked += a * d;
                                total += a;
                                error += Math.Abs(a - d);
                            }
                        mulSum += marked / total;
                        absSum += 1 - error / 16;
                    }
                    Assert.Equal(mulSum / 8, mul[head], 5);
                    Assert.Equal(absSum / 8, abs[head], 5);
                }
            }
        }
    }

    [Fact]
    public void DetectHead_WithAHeadsOwnPatternAsTheDetectionPattern_ScoresItOneUnderAbs()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(3, seed: 7);
        var (_, cache) = model.RunWithCache(tokens);
        Tensor own;
        using (cache)
            own = cache["pattern", 1][.., Induction.Head].clone();   // [batch, q, k]

        var result = tools.Attention(model).DetectHead(tokens, own, errorMeasure: ErrorMeasure.Abs);

        Assert.Equal("custom", result.Pattern);
        Assert.Equal(1, result[Induction], 5);
        Assert.True(result[UniformReader] < 0.5, result.ToString());
    }

    [Fact]
    public void DetectHead_UnderGroupedQueryAttention_ScoresEveryQueryHeadFromItsOwnPattern()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");
        Assert.True(model.Cfg.EffectiveKeyValueHeads < model.Cfg.NHeads);   // heads share key/value heads
        var tokens = TestModels.Tokens(2, 9);

        var result = tools.Attention(model).DetectHead(tokens, HeadName.PreviousTokenHead);

        Assert.Equal(model.Cfg.NLayers * model.Cfg.NHeads, result.Scores.Count);
        var (_, cache) = model.RunWithCache(tokens);
        using (cache)
            foreach (var s in result.Scores)
            {
                var a = cache["pattern", s.Head.Layer][.., s.Head.Head].to(float64);   // [batch, q, k]
                double expected = a.diagonal(-1, -2, -1).sum(-1).div(a.sum([1L, 2L])).mean().item<double>();
                Assert.Equal(expected, s.Score, 5);
            }
        Assert.True(result.Scores.Select(s => s.Score).Distinct().Count() > model.Cfg.EffectiveKeyValueHeads * model.Cfg.NLayers,
            "query heads that share a key/value head still have their own scores");
    }

    [Fact]
    public void DetectHead_OnAHeadsSubset_ScoresThoseHeadsAsTheFullRun_AndEveryOtherHeadMinusOne()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(8);
        var attention = tools.Attention(model);
        HeadIndex[] subset = [Induction, PreviousToken];

        var all = attention.DetectHead(tokens, HeadName.InductionHead);
        var some = attention.DetectHead(tokens, HeadName.InductionHead, heads: subset);
        var custom = attention.DetectHead(tokens, HeadDetector.DetectionPattern(HeadName.PreviousTokenHead, tokens)[0], heads: [PreviousToken]);

        foreach (var s in some.Scores)
        {
            if (subset.Contains(s.Head)) Assert.Equal(all[s.Head], s.Score, 6);
            else Assert.Equal(-1.0, s.Score);
        }
        Assert.Equal(Induction, some.Best().Head);
        Assert.True(custom[PreviousToken] > 0.9, custom.ToString());
        Assert.All(custom.Scores.Where(s => s.Head != PreviousToken), s => Assert.Equal(-1.0, s.Score));
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => attention.DetectHead(tokens, HeadName.InductionHead, heads: [(model.Cfg.NLayers, 0)]));
        Assert.Equal("heads", outside.ParamName);
    }

    [Fact]
    public void DetectHead_RefusesPatternsItCannotScore_NamingTheArgument()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var attention = tools.Attention(model);
        var tokens = InductionGroundTruth.RepeatedSequences(2);

        var upper = Assert.Throws<ArgumentException>(() => attention.DetectHead(tokens, ones(16, 16)));
        Assert.Equal("detectionPattern", upper.ParamName);
        Assert.Contains("not lower-triangular", upper.Message);
        var shape = Assert.Throws<ArgumentException>(() => attention.DetectHead(tokens, zeros(15, 15)));
        Assert.Contains("expected [16, 16] or [2, 16, 16]", shape.Message);
        var nothing = Assert.Throws<ArgumentException>(() => attention.DetectHead(tokens, zeros(16, 16), matchedQueriesOnly: true));
        Assert.Contains("marks no key", nothing.Message);
        var single = Assert.Throws<ArgumentException>(() => attention.DetectHead(tensor(new long[] { 1 }), HeadName.InductionHead));
        Assert.Equal("inputIds", single.ParamName);
    }

    [Fact]
    public void AblateHeads_OnTheHandBuiltCircuit_BreaksInductionOnlyThroughTheCircuitHeads()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(8);
        var attention = tools.Attention(model);

        foreach (var kind in Enum.GetValues<AblationKind>())
        {
            var result = attention.AblateHeads(tokens, kind, metric: InductionGroundTruth.InductionMetric);
            Assert.Equal(4, result.Heads.Count);
            Assert.True(result[PreviousToken].Effect < -1, $"{kind}: {result}");
            Assert.True(result[Induction].Effect < -1, $"{kind}: {result}");
            // The uniform heads write only junk dimensions that nothing reads: ablating them changes nothing.
            Assert.Equal(0, result[UniformWriter].Effect, 4);
            Assert.Equal(0, result[UniformReader].Effect, 4);
        }
    }

    [Fact]
    public void AblateHeads_Batched_EqualsOneHookedRunPerHead()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");
        var tokens = TestModels.Tokens(3, 7);
        var heads = new HeadIndex[] { (0, 1), (1, 3), (0, 2) };

        var zero = tools.Attention(model).AblateHeads(tokens, AblationKind.Zero, heads);

        foreach (var head in heads)
        {
            var logits = model.RunWithHooks(tokens, [new Hook($"blocks.{head.Layer}.attn.hook_z", (z, _) =>
            {
                var ablated = z.clone();
                ablated[.., .., head.Head] = 0;
                return ablated;
            })]);
            Assert.Equal(PathPatching.NextTokenLogProb(logits, tokens).mean().item<float>(), zero[head].Ablated, 4);
        }
        Assert.Equal(PathPatching.NextTokenLogProb(model.Forward(tokens), tokens).mean().item<float>(), zero.Clean, 4);
        Assert.Equal(heads, zero.Heads.Select(h => h.Head));
    }

    [Fact]
    public void ResampleAblation_FromTheSameInput_ChangesNothing_AndNeedsTwoSequencesOtherwise()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(4);
        var attention = tools.Attention(model);

        var self = attention.AblateHeads(tokens, AblationKind.Resample, resampleIds: tokens);
        Assert.All(self.Heads, h => Assert.Equal(h.Clean, h.Ablated, 5));

        var e = Assert.Throws<ArgumentException>(() => attention.AblateHeads(tokens[..1], AblationKind.Resample));
        Assert.Equal("inputIds", e.ParamName);
        var twice = Assert.Throws<ArgumentException>(() => attention.AblateHeads(tokens, heads: [(0, 0), (0, 0)]));
        Assert.Contains("names a head twice", twice.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => attention.AblateHeads(tokens, heads: [(2, 0)]));
    }
}
