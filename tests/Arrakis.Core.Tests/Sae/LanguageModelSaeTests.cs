using Arrakis.Sae;
using Arrakis.Training;
using Arrakis.Training.Tasks;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Arrakis.Tests.Sae;

/// <summary>
/// The shipped settings on the zoo's gpt2-mini-language: a TopK SAE on a middle layer's MLP output, trained on harvested
/// activations, keeps most of the model's loss when spliced in. Numbers in docs/tools/superposition.md come from this test.
/// </summary>
public sealed class LanguageModelSaeTests(ITestOutputHelper output)
{
    /// <summary>The settings the docs and scripts/sae.csx use.</summary>
    public static SaeConfig ShippedConfig => new()
    {
        DIn = 128, DSae = 512, Architecture = SaeArchitecture.TopK, K = 16, ModelName = "gpt2-mini-language",
        HookName = "blocks.1.hook_mlp_out", HookLayer = 1, ContextSize = 64,
    };

    /// <summary>Training options of the shipped settings (short: CI budget).</summary>
    public static SaeTrainingOptions ShippedOptions => new()
    {
        Steps = 300, BatchSize = 256, LearningRate = 3e-3, LearningRateWarmupSteps = 30, LearningRateDecaySteps = 80,
        ResampleEverySteps = 100, DeadWindowSteps = 60, Seed = 0,
    };

    [Fact]
    public void ATopKSaeOnBlock1MlpOut_RecoversMostOfTheLoss()
    {
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        using var dir = new TempDirectory();
        var task = new LanguageTask();
        var store = ActivationStore.Harvest(model, ShippedConfig.HookName!, new TaskTokenBatches(task, seed: 0, batchSize: 32, count: 16), dir.Path, batchesPerShard: 4);
        using var sae = new SparseAutoencoder(ShippedConfig);
        using var heldOut = task.Batch(new SeededRandom(1, 0), 64);
        var report = new SaeTrainer(sae, store.ShuffledBatches(seed: 0, bufferRows: 8192), ShippedOptions)
            .Train(spliceModel: model, spliceTokens: heldOut);
        output.WriteLine(report.ToString());
        var splice = report.Splice!;
        Assert.True(splice.LossRecovered >= 0.7, $"CE loss recovered {splice.LossRecovered:P1}; expected ≥ 70 %.");
        Assert.InRange(splice.L0, 1, 16.0001);
        Assert.True(splice.CleanLoss < splice.SplicedLoss && splice.SplicedLoss < splice.ZeroAblationLoss, splice.ToString());
    }
}
