using Arrakis.Training;
using Arrakis.Training.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Zoo;

/// <summary>Loads the shipped induction models once for the tests of this class.</summary>
public sealed class InductionModels : IDisposable
{
    public const int Half = 20;

    public InductionModels()
    {
        TwoLayer = HookedTransformer.FromPretrained("attn-only-2l");
        OneLayer = HookedTransformer.FromPretrained("attn-only-1l");
        // Fresh sequences: a seed the training data (seeds 1…) and the model card (Trainer.EvalSeed) never used.
        Tokens = InductionTask.RepeatedSequences(new SeededRandom(20240601, 7), 200, Half).DetachFromDisposeScope();
    }

    public HookedTransformer TwoLayer { get; }
    public HookedTransformer OneLayer { get; }
    public Tensor Tokens { get; }

    public void Dispose()
    {
        TwoLayer.Dispose();
        OneLayer.Dispose();
        Tokens.Dispose();
    }
}

/// <summary>
/// The induction circuit is really in the shipped attn-only-2l: it predicts the repeated half, a layer-1 head attends to the
/// token after the earlier occurrence, a layer-0 head attends to the previous token, and that pair K-composes.
/// Everything is computed here from logits, attention patterns and weights, not read from the model card.
/// </summary>
public sealed class InductionZooTests(InductionModels models) : IClassFixture<InductionModels>
{
    private const int L = InductionModels.Half;

    /// <summary>Per-token loss [batch, 2L] and predictions of <paramref name="model"/>; index p predicts token p+1.</summary>
    private static (Tensor Losses, Tensor Correct) Predict(HookedTransformer model, Tensor tokens)
    {
        using var _ = no_grad();
        var logProbs = model.Forward(tokens)[.., ..^1].log_softmax(-1);
        var targets = tokens[.., 1..];
        return (-logProbs.gather(-1, targets.unsqueeze(-1)).squeeze(-1), logProbs.argmax(-1).eq(targets));
    }

    [Fact]
    public void TwoLayerModel_PredictsTheRepeatedHalf()
    {
        using var scope = NewDisposeScope();
        var (losses, correct) = Predict(models.TwoLayer, models.Tokens);
        // Predictions made at second-copy positions L+1 … 2L−1 (targets: copy tokens 2 … L).
        double accuracy = correct[.., (L + 1)..(2 * L)].to(float32).mean().item<float>();
        double firstHalf = correct[.., 1..L].to(float32).mean().item<float>();
        Assert.True(accuracy >= 0.90, $"repeated-half accuracy {accuracy:P1}");
        Assert.True(firstHalf < 0.05, $"first-half accuracy {firstHalf:P1}: random tokens should be unpredictable");
    }

    [Fact]
    public void OneLayerModel_IsClearlyWorseOnTheRepeatedHalf()
    {
        using var scope = NewDisposeScope();
        var (two, _) = Predict(models.TwoLayer, models.Tokens);
        var (one, oneCorrect) = Predict(models.OneLayer, models.Tokens);
        double twoLoss = two[.., (L + 1)..(2 * L)].mean().item<float>();
        double oneLoss = one[.., (L + 1)..(2 * L)].mean().item<float>();
        double oneAccuracy = oneCorrect[.., (L + 1)..(2 * L)].to(float32).mean().item<float>();
        Assert.True(oneLoss > twoLoss + 1.0 && oneLoss > 2 * twoLoss,
            $"repeated-half loss: 1 layer {oneLoss:F3} vs 2 layers {twoLoss:F3}");
        Assert.True(oneAccuracy < 0.5, $"the 1-layer model predicts {oneAccuracy:P1} of the repeated half");
    }

    /// <summary>[layer][head] scores from the attention patterns.</summary>
    private static (double[][] Induction, double[][] PrevToken) Scores(HookedTransformer model, Tensor tokens)
    {
        var (_, cache) = model.RunWithCache(tokens, n => n.EndsWith("hook_pattern", StringComparison.Ordinal));
        using (cache)
        {
            var induction = new double[model.Cfg.NLayers][];
            var prev = new double[model.Cfg.NLayers][];
            for (int layer = 0; layer < model.Cfg.NLayers; layer++)
            {
                var pattern = cache[$"blocks.{layer}.attn.hook_pattern"];  // [batch, head, query, key]
                induction[layer] = new double[model.Cfg.NHeads];
                prev[layer] = new double[model.Cfg.NHeads];
                for (int h = 0; h < model.Cfg.NHeads; h++)
                {
                    // Second-copy token at q attends to the token after its first occurrence: key q − L + 1.
                    double ind = 0, pr = 0;
                    for (int q = L + 1; q <= 2 * L; q++)
                        ind += pattern[.., h, q, q - L + 1].mean().item<float>() / L;
                    for (int q = 1; q <= 2 * L; q++)
                        pr += pattern[.., h, q, q - 1].mean().item<float>() / (2 * L);
                    induction[layer][h] = ind;
                    prev[layer][h] = pr;
                }
            }
            return (induction, prev);
        }
    }

    [Fact]
    public void TwoLayerModel_HasAnInductionHeadInLayer1_AndAPreviousTokenHeadInLayer0()
    {
        using var scope = NewDisposeScope();
        var (induction, prev) = Scores(models.TwoLayer, models.Tokens);
        double bestInduction = induction[1].Max();
        double bestPrev = prev[0].Max();
        Assert.True(bestInduction >= 0.5, $"best layer-1 induction score {bestInduction:F3} (all: {string.Join(", ", induction[1].Select(x => x.ToString("F3")))})");
        Assert.True(bestPrev >= 0.5, $"best layer-0 previous-token score {bestPrev:F3} (all: {string.Join(", ", prev[0].Select(x => x.ToString("F3")))})");
        // The probe in the library agrees with this direct computation.
        var probe = InductionProbe.Measure(models.TwoLayer, models.Tokens, L);
        Assert.Equal(bestInduction, probe.InductionScores[1].Max(), 4);
        Assert.Equal(bestPrev, probe.PrevTokenScores[0].Max(), 4);
    }

    [Fact]
    public void ThePreviousTokenHead_HasTheLargestKCompositionIntoTheInductionHead()
    {
        using var scope = NewDisposeScope();
        var model = models.TwoLayer;
        var (induction, prev) = Scores(model, models.Tokens);
        int inductionHead = Array.IndexOf(induction[1], induction[1].Max());
        int prevHead = Array.IndexOf(prev[0], prev[0].Max());

        // A Mathematical Framework for Transformer Circuits: K-composition of writer h0 into reader h1 is
        // ‖W_QK^h1 · (W_OV^h0)ᵀ‖_F / (‖W_QK^h1‖_F ‖W_OV^h0‖_F) in TransformerLens's row-vector convention, with
        // W_QK = W_Q W_Kᵀ and W_OV = W_V W_O (both [d_model, d_model]): the reader's key side reads x·W_OV, so
        // scores = x_q W_QK (x_src W_OV)ᵀ = x_q (W_QK W_OVᵀ) x_srcᵀ. Layer-norm scales are folded into the reading weights
        // and those centred, as TransformerLens's fold_ln does before it computes composition scores.
        using var noGrad = no_grad();
        Tensor Read(Tensor w, Tensor? lnWeight)
        {
            var x = w.to(float64);
            if (lnWeight is not null)
                x = x * lnWeight.to(float64).unsqueeze(1);
            if (model.Cfg.NormCenters)
                x = x - x.mean([0], keepdim: true);
            return x;
        }
        var wq = Read(model.W_Q[1, inductionHead], model.blocks[1].ln1.w);
        var wk = Read(model.W_K[1, inductionHead], model.blocks[1].ln1.w);
        var qk = wq.matmul(wk.t());
        var scores = new double[model.Cfg.NHeads];
        for (int h = 0; h < scores.Length; h++)
        {
            var ov = Read(model.W_V[0, h], model.blocks[0].ln1.w).matmul(model.W_O[0, h].to(float64));
            scores[h] = (qk.matmul(ov.t()).norm() / (qk.norm() * ov.norm())).item<double>();
        }
        Assert.True(Array.IndexOf(scores, scores.Max()) == prevHead,
            $"induction head 1.{inductionHead}, previous-token head 0.{prevHead}; K-composition of layer-0 heads: {string.Join(", ", scores.Select((s, h) => $"0.{h}={s:F3}"))}");
        double random = CompositionScores.RandomBaseline(model.Cfg.DModel, model.Cfg.DHead);
        Assert.True(scores[prevHead] > random, $"K-composition {scores[prevHead]:F3} is not above random heads' {random:F3}");

        // The library's composition scores (TL all_composition_scores("K")) and the card's helper agree with the above:
        // FromPretrained folded the layer norms into the weights, so the library needs no folding of its own here.
        using var all = CompositionScores.All(model, CompositionKind.K);  // [writer layer, writer head, reader layer, reader head]
        for (int h = 0; h < scores.Length; h++)
            Assert.Equal(scores[h], all[0, h, 1, inductionHead].item<float>(), 4);
        Assert.Equal(scores, InductionTask.KComposition(model, 1, inductionHead), (a, b) => Math.Abs(a - b) < 1e-6);
    }
}
