using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis;

public class PathPatchingTests
{
    [Fact]
    public void TheHandBuiltModel_DoesInduction()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(20);
        using var noGrad = no_grad();
        var logits = model.Forward(tokens);
        var predicted = logits[.., (InductionGroundTruth.Vocab + 1)..^1].argmax(-1);
        Assert.True(predicted.equal(tokens[.., (InductionGroundTruth.Vocab + 2)..]).all().item<bool>());
    }

    [Fact]
    public void ThePreviousTokenToInductionKeyPath_CarriesTheEffect_AndAnUnrelatedPathDoesNot()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(16);
        var results = PathPatching.Run(model, tokens,
            [(InductionGroundTruth.PreviousTokenHead, InductionGroundTruth.InductionHead), (InductionGroundTruth.UnrelatedWriter, InductionGroundTruth.InductionHead)],
            PathInput.Key, metric: InductionGroundTruth.InductionMetric);
        var circuit = results[0];
        var unrelated = results[1];
        Assert.True(circuit.Clean > circuit.Corrupted + 1, $"mean-ablating the previous-token head should break induction: {circuit}");
        Assert.True(circuit.Fraction >= 0.8, $"K path carries {circuit.Fraction:P1}");
        Assert.True(Math.Abs(unrelated.Patched - unrelated.Clean) <= 0.1 * Math.Abs(circuit.Clean - circuit.Corrupted), $"unrelated path: {unrelated}");
        // Through the query the previous-token head's output is not read at all.
        var query = PathPatching.Run(model, tokens, InductionGroundTruth.PreviousTokenHead, InductionGroundTruth.InductionHead, PathInput.Query,
            metric: InductionGroundTruth.InductionMetric);
        Assert.True(Math.Abs(query.Fraction) <= 0.1, $"Q path: {query.Fraction}");
    }

    [Fact]
    public void AnExplicitCorruptedInput_GivesTheCorruptedRunsMetric()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var clean = InductionGroundTruth.RepeatedSequences(8, seed: 1);
        var corrupted = InductionGroundTruth.RepeatedSequences(8, seed: 2);
        var result = PathPatching.Run(model, clean, InductionGroundTruth.PreviousTokenHead, InductionGroundTruth.InductionHead, PathInput.Key,
            corrupted, InductionGroundTruth.InductionMetric);
        using var noGrad = no_grad();
        double expected = InductionGroundTruth.InductionMetric(model.Forward(corrupted), clean).mean().item<float>();
        Assert.Equal(expected, result.Corrupted, 4);
    }

    [Fact]
    public void BatchedPairs_EqualOnePairAtATime()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");
        var tokens = TestModels.Tokens(2, 6);
        var pairs = new List<(HeadIndex, HeadIndex)>();
        for (int s = 0; s < 4; s++)
            for (int r = 0; r < 4; r++)
                pairs.Add(((0, s), (1, r)));
        var batched = PathPatching.Run(model, tokens, pairs, PathInput.All, maxVariantsPerPass: 16);
        for (int i = 0; i < pairs.Count; i += 5)
        {
            var single = PathPatching.Run(model, tokens, pairs[i].Item1, pairs[i].Item2, PathInput.All);
            Assert.Equal(single.Patched, batched[i].Patched, 4);
            Assert.Equal(single.Corrupted, batched[i].Corrupted, 4);
        }
        Assert.False(model.Options.UseSplitQkvInput); // options restored
    }

    [Fact]
    public void PatchingIntoOneReceiver_EqualsThePair_AndAReceiverThatDoesNotReadTheSenderAddsNothing()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(8);
        var pair = PathPatching.Run(model, tokens, InductionGroundTruth.PreviousTokenHead, InductionGroundTruth.InductionHead, PathInput.Key,
            metric: InductionGroundTruth.InductionMetric);
        var one = PathPatching.RunToReceivers(model, tokens, InductionGroundTruth.PreviousTokenHead, [InductionGroundTruth.InductionHead], PathInput.Key,
            metric: InductionGroundTruth.InductionMetric);
        var both = PathPatching.RunToReceivers(model, tokens, InductionGroundTruth.PreviousTokenHead,
            [InductionGroundTruth.InductionHead, InductionGroundTruth.UnrelatedReader], PathInput.Key, metric: InductionGroundTruth.InductionMetric);
        Assert.Equal(pair.Patched, one.Patched, 5);
        Assert.Equal(pair.Corrupted, one.Corrupted, 5);
        Assert.Equal([InductionGroundTruth.InductionHead, InductionGroundTruth.UnrelatedReader], both.Receivers);
        // The hand-built L1H1 reads nothing (its weights are zero), so adding Δ to its key too changes nothing.
        Assert.Equal(pair.Patched, both.Patched, 5);
    }

    [Fact]
    public void PatchingIntoReceiversThatShareAKeyValueHead_AddsDeltaOnceThere()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");   // 4 query heads, 2 key/value heads: heads 0 and 1 share one
        var tokens = TestModels.Tokens(2, 6);
        var head0 = PathPatching.RunToReceivers(model, tokens, (0, 2), [(1, 0)], PathInput.Key);
        var shared = PathPatching.RunToReceivers(model, tokens, (0, 2), [(1, 0), (1, 1)], PathInput.Key);
        var separate = PathPatching.RunToReceivers(model, tokens, (0, 2), [(1, 0), (1, 2)], PathInput.Key);
        Assert.Equal(head0.Patched, shared.Patched, 5);
        Assert.NotEqual(head0.Patched, separate.Patched, 5);
        // Through the query, each query head is its own input.
        var q0 = PathPatching.RunToReceivers(model, tokens, (0, 2), [(1, 0)], PathInput.Query);
        var q01 = PathPatching.RunToReceivers(model, tokens, (0, 2), [(1, 0), (1, 1)], PathInput.Query);
        Assert.NotEqual(q0.Patched, q01.Patched, 5);
    }

    [Fact]
    public void ReceiverSets_ThatAreEmptyRepeatedOrCannotCompose_AreRejected()
    {
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(1, 4);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => PathPatching.RunToReceivers(model, tokens, (0, 0), [])).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => PathPatching.RunToReceivers(model, tokens, (0, 0), [(1, 1), (1, 1)])).Message);
        var e = Assert.Throws<ArgumentException>(() => PathPatching.RunToReceivers(model, tokens, (1, 0), [(1, 1)]));
        Assert.Equal("receivers", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => PathPatching.RunToReceivers(model, tokens, (0, 0), [(1, 7)]));
    }

    [Fact]
    public void PairsThatCannotCompose_AreRejected()
    {
        using var model = TestModels.Create("gpt2");
        var e = Assert.Throws<ArgumentException>(() => PathPatching.Run(model, TestModels.Tokens(1, 4), (1, 0), (0, 1)));
        Assert.Contains("later layer", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => PathPatching.Run(model, TestModels.Tokens(1, 4), (0, 9), (1, 0)));
    }
}
