using Arrakis.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Sae;

public sealed class SaeTrainerTests
{
    private static (SparseAutoencoder Sae, SaeTrainingReport Report, List<SaeTrainingProgress> Lines) Train(
        SaeConfig config, SaeTrainingOptions options, int seed = 1)
    {
        using var toy = new ToySuperposition(24, 8, 0.05, seed);
        using var data = toy.Sample(4000);
        using var source = new TensorActivationSource(data, seed: 5);
        var sae = new SparseAutoencoder(config);
        var lines = new List<SaeTrainingProgress>();
        var report = new SaeTrainer(sae, source, options).Train(lines.Add);
        return (sae, report, lines);
    }

    [Fact]
    public void Training_IsSeeded_AndReproducible()
    {
        var config = new SaeConfig { DIn = 8, DSae = 32 };
        var options = new SaeTrainingOptions { Steps = 60, BatchSize = 64, Seed = 11, ResampleEverySteps = 20, DeadWindowSteps = 10 };
        var (a, _, _) = Train(config, options);
        var (b, _, _) = Train(config, options);
        var (c, _, _) = Train(config, options with { Seed = 12 });
        using (a) using (b) using (c)
        {
            Assert.True(a.W_dec.eq(b.W_dec).all().ToBoolean());
            Assert.True(a.W_enc.eq(b.W_enc).all().ToBoolean());
            Assert.False(a.W_dec.eq(c.W_dec).all().ToBoolean());
        }
    }

    [Fact]
    public void DecoderRows_StayAtUnitNorm()
    {
        var (sae, _, _) = Train(new SaeConfig { DIn = 8, DSae = 32 }, new SaeTrainingOptions { Steps = 40, BatchSize = 64, LearningRate = 1e-2 });
        using (sae)
        using (var norms = sae.W_dec.norm(1, p: 2))
            Assert.True(norms.allclose(ones_like(norms), rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void TheProgressLine_ReportsEveryStep_WithLossL0VarianceDeadAndEta()
    {
        var (sae, report, lines) = Train(new SaeConfig { DIn = 8, DSae = 32 }, new SaeTrainingOptions { Steps = 30, BatchSize = 64 });
        sae.Dispose();
        Assert.Equal(Enumerable.Range(1, 30), lines.Select(l => l.Step));
        Assert.All(lines, l => Assert.True(double.IsFinite(l.Loss) && l.L0 >= 0 && l.ActivationsPerSecond > 0));
        string text = lines[^1].ToString();
        foreach (string part in new[] { "step 30/30", "loss", "L0", "expl.var", "dead", "tok/s", "ETA" })
            Assert.Contains(part, text);
        Assert.Equal(30, report.Steps);
        Assert.InRange(report.ExplainedVariance, -1, 1);
    }

    [Fact]
    public void Warmups_RampTheLearningRateAndTheL1Coefficient()
    {
        var o = new SaeTrainingOptions { Steps = 100, LearningRate = 1e-3, LearningRateWarmupSteps = 10, LearningRateDecaySteps = 20, L1Coefficient = 2, L1WarmupSteps = 50 };
        Assert.Equal(1e-4, o.LearningRateAt(1), 12);
        Assert.Equal(1e-3, o.LearningRateAt(50), 12);
        Assert.Equal(1e-3 / 20, o.LearningRateAt(100), 12);
        Assert.Equal(0.04, o.L1CoefficientAt(1), 12);
        Assert.Equal(2, o.L1CoefficientAt(80), 12);
    }

    [Fact]
    public void DeadLatents_AreResampled_AndFireAgain()
    {
        // Top-1 over 96 latents for 24 features: most latents never win; resampling brings them back.
        var config = new SaeConfig { DIn = 8, DSae = 96, Architecture = SaeArchitecture.TopK, K = 1 };
        var baseOptions = new SaeTrainingOptions { Steps = 300, BatchSize = 128, LearningRate = 3e-3, DeadWindowSteps = 30, Seed = 2 };
        var (without, plain, _) = Train(config, baseOptions);
        var (with, resampled, _) = Train(config, baseOptions with { ResampleEverySteps = 50, ResampleUntilStep = 250 });
        without.Dispose();
        with.Dispose();
        Assert.Equal(0, plain.ResampledLatents);
        Assert.True(resampled.ResampledLatents > 0, "nothing was resampled");
        Assert.True(plain.DeadFraction > 0.2, $"the setup should kill latents; dead {plain.DeadFraction:P0}");
        Assert.True(resampled.DeadFraction < plain.DeadFraction, $"dead after resampling {resampled.DeadFraction:P0}, without {plain.DeadFraction:P0}");
    }

    [Fact]
    public void BatchTopK_EndsAsAJumpReluSae_WithTheLearnedThreshold_AndSaves()
    {
        var (sae, report, _) = Train(new SaeConfig { DIn = 8, DSae = 32, Architecture = SaeArchitecture.BatchTopK, K = 2 },
            new SaeTrainingOptions { Steps = 200, BatchSize = 128, LearningRate = 3e-3 });
        using (sae)
        {
            Assert.Equal(SaeArchitecture.JumpRelu, sae.Cfg.Architecture);
            Assert.True(sae.threshold!.min().ToSingle() > 0);
            Assert.InRange(report.L0, 0.5, 6);  // the threshold reproduces a per-token budget near k
            using var dir = new TempDirectory();
            SaeFolder.Save(sae, dir.Path);
            using var loaded = SaeFolder.Load(dir.Path);
            Assert.True(loaded.threshold!.eq(sae.threshold).all().ToBoolean());
        }
    }

    [Fact]
    public void Checkpoints_AreWrittenAsSaeLensFolders()
    {
        using var dir = new TempDirectory();
        var (sae, _, _) = Train(new SaeConfig { DIn = 8, DSae = 16 },
            new SaeTrainingOptions { Steps = 20, BatchSize = 32, CheckpointEverySteps = 10, CheckpointDirectory = dir.Path });
        using (sae)
        {
            Assert.Equal(["step_000010", "step_000020"], Directory.GetDirectories(dir.Path).Select(Path.GetFileName).Order());
            using var last = SaeFolder.Load(Path.Combine(dir.Path, "step_000020"));
            Assert.True(last.W_dec.eq(sae.W_dec).all().ToBoolean());
        }
    }

    [Fact]
    public void ASourceOfAnotherWidth_IsRefused()
    {
        using var data = zeros(10, 5);
        using var source = new TensorActivationSource(data, 0);
        using var sae = new SparseAutoencoder(new SaeConfig { DIn = 8, DSae = 16 });
        var e = Assert.Throws<ArgumentException>(() => new SaeTrainer(sae, source));
        Assert.Equal("source", e.ParamName);
    }
}
