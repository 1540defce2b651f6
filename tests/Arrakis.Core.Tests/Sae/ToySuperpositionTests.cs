using Arrakis.Sae;
using Xunit.Abstractions;

namespace Arrakis.Tests.Sae;

/// <summary>
/// Ground truth: n sparse features in m &lt; n dimensions (Elhage et al. 2022). An SAE trained on the activations finds
/// the true directions; PCA, with at most m orthogonal directions, cannot.
/// </summary>
public sealed class ToySuperpositionTests(ITestOutputHelper output)
{
    // n = 40 features in m = 16 dimensions, each active with probability 0.03 (≈ 1.2 per activation), seed 1.
    private const int Features = 40, Dimensions = 16;
    private const double Probability = 0.03;

    [Theory]
    [InlineData(SaeArchitecture.Standard, 0.9, 0.2)]  // measured 100 % (mean best cosine 0.989); PCA 0 %
    [InlineData(SaeArchitecture.TopK, 0.9, 0)]        // measured 97 % (0.991); PCA 0 %
    public void AnSae_RecoversMostTrueFeatures_AndPcaDoesNot(SaeArchitecture architecture, double share, double l1)
    {
        using var toy = new ToySuperposition(Features, Dimensions, Probability, seed: 1);
        using var data = toy.Sample(20_000);
        using var source = new TensorActivationSource(data, seed: 2);
        using var sae = new SparseAutoencoder(new SaeConfig
        {
            DIn = Dimensions, DSae = 2 * Features, Architecture = architecture, K = architecture == SaeArchitecture.TopK ? 3 : null,
        });
        var report = new SaeTrainer(sae, source, new SaeTrainingOptions
        {
            Steps = 3000, BatchSize = 256, LearningRate = 3e-3, L1Coefficient = l1, L1WarmupSteps = 300,
            LearningRateWarmupSteps = 100, LearningRateDecaySteps = 600, ResampleEverySteps = 500, DeadWindowSteps = 200, Seed = 3,
        }).Train();
        var saeCosines = FeatureRecovery.BestCosines(toy.Directions, sae.W_dec);
        using var pca = PcaBaseline.Components(data, Dimensions);
        var pcaCosines = FeatureRecovery.BestCosines(toy.Directions, pca);
        double saeShare = FeatureRecovery.Share(saeCosines), pcaShare = FeatureRecovery.Share(pcaCosines);
        output.WriteLine($"{architecture}: {report}");
        output.WriteLine($"features recovered at cos ≥ 0.9: SAE {saeShare:P0}, PCA {pcaShare:P0}; mean best cos SAE {saeCosines.Average():F3}, PCA {pcaCosines.Average():F3}");
        Assert.True(saeShare >= share, $"SAE recovered {saeShare:P0} of the features; expected ≥ {share:P0}.");
        Assert.True(pcaShare <= 0.1, $"PCA recovered {pcaShare:P0}; expected ≤ 10 %.");
    }
}
