using Xunit.Abstractions;
using Arrakis.Training;
using Arrakis.Training.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>The shipped attn-only-2l and fresh repeated sequences, loaded once for the tests of this class.</summary>
public sealed class ShippedInductionModel : IDisposable
{
    /// <summary>Length of the random half; sequences are <c>&lt;|endoftext|&gt;</c>, the half, the half again (2·Half + 1 tokens).</summary>
    public const int Half = 20;

    public ShippedInductionModel()
    {
        Model = HookedTransformer.FromPretrained("attn-only-2l");
        // A seed neither training (seeds 1…) nor the model card used.
        Tokens = InductionTask.RepeatedSequences(new SeededRandom(77, 3), 64, Half).DetachFromDisposeScope();
        // The zoo's own measurement (InductionProbe, as the model card uses): scores per [layer][head].
        var probe = InductionProbe.Measure(Model, Tokens, Half);
        InductionScores = probe.InductionScores[1];
        PreviousTokenScores = probe.PrevTokenScores[0];
    }

    public HookedTransformer Model { get; }

    public Tensor Tokens { get; }

    /// <summary>Mean attention of each layer-1 head to the token after the earlier occurrence of the current token.</summary>
    public double[] InductionScores { get; }

    /// <summary>Mean attention of each layer-0 head to the previous position.</summary>
    public double[] PreviousTokenScores { get; }

    /// <summary>Layer-1 heads with an induction score ≥ 0.5.</summary>
    public IReadOnlyList<HeadIndex> InductionHeads =>
        Enumerable.Range(0, InductionScores.Length).Where(h => InductionScores[h] >= 0.5).Select(h => new HeadIndex(1, h)).ToList();

    /// <summary>The layer-0 head with the largest previous-token score.</summary>
    public HeadIndex PreviousTokenHead => new(0, Array.IndexOf(PreviousTokenScores, PreviousTokenScores.Max()));

    /// <summary>The layer-1 head with the largest induction score.</summary>
    public HeadIndex BestInductionHead => new(1, Array.IndexOf(InductionScores, InductionScores.Max()));

    /// <summary>Mean log-probability of the correct token over the predictable part of the second copy, per sequence.</summary>
    public static Tensor InductionMetric(Tensor logits, Tensor tokens) =>
        logits[.., (Half + 1)..^1].log_softmax(-1).gather(-1, tokens[.., (Half + 2)..].unsqueeze(-1)).squeeze(-1).mean([1L]);

    public void Dispose()
    {
        Model.Dispose();
        Tokens.Dispose();
    }
}

/// <summary>
/// Issue #9's three findings, which the hand-built circuit proves by construction, hold on the shipped, trained
/// attn-only-2l too. The heads are found here from attention patterns, not taken from the model card. The trained model
/// spreads induction over several layer-1 heads (each scores ≥ 0.5), so the path finding is stated for the path from the
/// previous-token head into all of them together (93 % of the effect, measured); the path into the strongest one alone
/// carries only part of it (51 % on these sequences), which is what redundancy means: reported, not asserted.
/// </summary>
[Collection(ToolsCollection.Name)]
public sealed class ShippedInductionModelTests(BuiltInTools tools, ShippedInductionModel shipped, ITestOutputHelper output) : IClassFixture<ShippedInductionModel>
{
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public void TheModel_HasAPreviousTokenHead_AndInductionHeads()
    {
        Assert.True(shipped.PreviousTokenScores.Max() >= 0.5, $"previous-token scores {string.Join(", ", shipped.PreviousTokenScores)}");
        Assert.NotEmpty(shipped.InductionHeads);
    }

    [Fact]
    public void KComposition_RanksThePreviousTokenHeadFirst_AmongWritersIntoTheInductionHead()
    {
        var composer = tools.Composer(shipped.Model);
        var reader = shipped.BestInductionHead;

        var all = composer.AllCompositionScores(CompositionKind.K);
        var intoReader = all.Pairs.Where(p => p.Reader == reader).ToList();
        _output.WriteLine(string.Join("\n", intoReader));

        Assert.Equal(shipped.PreviousTokenHead, intoReader[0].Writer);   // pairs come largest first
        Assert.True(intoReader[0].Score > all.RandomBaseline, $"{intoReader[0]} vs random {all.RandomBaseline:F3}");
        using var hc = composer.HeadComposition(shipped.PreviousTokenHead, reader);
        Assert.Equal(intoReader[0].Score, hc.KComposition, 5);
    }

    [Fact]
    public void PathPatching_ThePreviousTokenHeadsKeyPathIntoTheInductionHeads_CarriesTheEffect_AnUnrelatedOneDoesNot()
    {
        var composer = tools.Composer(shipped.Model);
        var receivers = shipped.InductionHeads;
        // The unrelated writer: the layer-0 head that attends least to the previous token.
        var unrelated = new HeadIndex(0, Array.IndexOf(shipped.PreviousTokenScores, shipped.PreviousTokenScores.Min()));

        var circuit = composer.AttentionPathPatching(shipped.Tokens, shipped.PreviousTokenHead, receivers, PathInput.Key, ShippedInductionModel.InductionMetric);
        var control = composer.AttentionPathPatching(shipped.Tokens, unrelated, receivers, PathInput.Key, ShippedInductionModel.InductionMetric);
        var single = composer.AttentionPathPatching(shipped.Tokens, shipped.PreviousTokenHead, shipped.BestInductionHead, PathInput.Key, ShippedInductionModel.InductionMetric);
        _output.WriteLine(circuit.ToString());
        _output.WriteLine(control.ToString());
        _output.WriteLine(single.ToString());

        Assert.True(circuit.Clean - circuit.Corrupted > 0.5, $"mean-ablating the previous-token head should hurt induction: {circuit}");
        Assert.True(circuit.Fraction >= 0.8, circuit.ToString());
        double controlShare = (control.Clean - control.Patched) / (circuit.Clean - circuit.Corrupted);
        Assert.True(Math.Abs(controlShare) <= 0.1, $"the unrelated path moves the metric by {controlShare:P1} of the circuit's effect: {control}");
    }

    [Fact]
    public void LogitAttribution_GivesAnInductionHeadTheLargestDirectAttribution_ForTheRepeatedToken()
    {
        var logit = tools.Logit(shipped.Model);
        var inductionLabels = shipped.InductionHeads.Select(h => h.ToString()).ToHashSet();
        int sequences = 16, hits = 0;
        var largest = new List<string>();
        for (int b = 0; b < sequences; b++)
        {
            // The last token (position 2·Half) first occurred at position Half; the token after that occurrence, at
            // Half + 1, is what induction predicts next.
            long target = shipped.Tokens[b, ShippedInductionModel.Half + 1].item<long>();
            var result = logit.LogitAttribution(shipped.Tokens, target, batchIndex: b);
            largest.Add(result.Largest.Label);
            if (inductionLabels.Contains(result.Largest.Label)) hits++;
            Assert.Equal(result.Logit - result.UnembedBias, result.Total, 3);
        }
        _output.WriteLine(string.Join(", ", largest));
        Assert.Equal(sequences, hits);
    }
}
