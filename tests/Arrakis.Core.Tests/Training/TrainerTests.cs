using Arrakis.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "arrakis-trainer-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A small GPT-2 style model on the language task: fast enough for CI, and its loss falls quickly.</summary>
    private static (HookedTransformerConfig Cfg, TrainingOptions Options, ITrainingTask Task) Small(int steps, int seed = 3)
    {
        var task = TrainingTasks.Create("language");
        var (cfg, options) = TrainingOverrides.Apply(task.DefaultModelConfig, task.DefaultOptions,
            ["n_layers=1", "d_model=32", "n_heads=2", "batch_size=8", "warmup_steps=5", "eval_batches=2", "eval_every=0", $"steps={steps}", $"seed={seed}"]);
        return (cfg with { Seed = seed }, options, task);
    }

    [Fact]
    public void FiftySteps_LowerTheHeldOutLoss()
    {
        var (cfg, options, task) = Small(50);
        using var model = new HookedTransformer(cfg);
        using var trainer = new Trainer(model, task, options);
        double before = trainer.EvaluateLoss();
        var seen = new List<TrainingProgress>();
        var result = trainer.Run(seen.Add);
        Assert.Equal(50, seen.Count);
        Assert.Equal(Enumerable.Range(1, 50), seen.Select(p => p.Step));
        Assert.All(seen, p => Assert.True(double.IsFinite(p.Loss) && p.TokensPerSecond > 0));
        Assert.True(result.FinalEvalLoss < before - 1.0, $"held-out loss {before:F3} → {result.FinalEvalLoss:F3}");
        Assert.True(seen[^1].SmoothedLoss < seen[0].Loss, $"training loss {seen[0].Loss:F3} → {seen[^1].SmoothedLoss:F3}");
        Assert.Contains("fact_accuracy", result.Metrics.Keys);
        Assert.False(model.training);
    }

    [Fact]
    public void SaveThenLoad_ReproducesLogitsExactly()
    {
        var (cfg, options, task) = Small(5);
        using var model = new HookedTransformer(cfg);
        using (var trainer = new Trainer(model, task, options))
            trainer.Run(taskMetrics: false);
        TrainingCheckpoint.Save(_dir, model, task.Tokenizer);
        using var loaded = TrainingCheckpoint.Load(_dir);
        Assert.Equal(model.Cfg with { ModelName = loaded.Cfg.ModelName, OriginalArchitecture = loaded.Cfg.OriginalArchitecture }, loaded.Cfg);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = task.Batch(new SeededRandom(11, 0), 4);
        Assert.True(model.Forward(tokens).equal(loaded.Forward(tokens)).all().item<bool>(), "logits differ after a save/load round trip");

        // The folder's tokenizer comes back as the model's tokenizer, and encodes as the task's does.
        Assert.NotNull(loaded.Tokenizer);
        Assert.Equal(Arrakis.Tokenizers.TokenizerKind.WordLevel, loaded.Tokenizer!.Kind);
        Assert.Equal(0, loaded.Tokenizer.BosTokenId);
        string text = "When Mary and John went to the store, John gave a drink to";
        Assert.Equal(task.Tokenizer.EncodeToIds(text).Select(i => (long)i).Prepend(0), loaded.ToTokens(text).data<long>().ToArray());
        Assert.Equal(task.Tokenizer.Tokens, TrainingCheckpoint.LoadTokenizer(_dir).Tokens);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "config.json")))!;
        Assert.Equal("arrakis", (string?)config["model_type"]);
        Assert.Equal(0, (int?)config["bos_token_id"]);
    }

    [Fact]
    public void ResumingFromACheckpoint_ReachesTheSameWeightsAsAnUninterruptedRun()
    {
        var (cfg, options, task) = Small(8);
        using var straight = new HookedTransformer(cfg);
        using (var trainer = new Trainer(straight, task, options))
            trainer.Run(taskMetrics: false);

        using var first = new HookedTransformer(cfg);
        using (var trainer = new Trainer(first, task, options with { Steps = 8 }, _dir))
        {
            using var cts = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => trainer.Run(p => { if (p.Step == 4) cts.Cancel(); }, cts.Token, taskMetrics: false));
            Assert.Equal(4, trainer.Step);
        }
        Assert.True(File.Exists(Path.Combine(_dir, Trainer.OptimizerFileName)));
        using var resumed = Trainer.Resume(_dir, task);
        Assert.Equal(4, resumed.Step);
        var result = resumed.Run(taskMetrics: false);
        Assert.Equal(8, result.State.Step);

        var expected = straight.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in resumed.Model.named_parameters())
        {
            double diff = (p - expected[name]).abs().max().item<float>();
            Assert.True(diff <= 1e-6, $"{name} differs by {diff} after resuming");
        }
        var state = TrainerState.FromJson(File.ReadAllText(Path.Combine(_dir, TrainerState.FileName)));
        Assert.Equal(8, state.Step);
        Assert.Equal(8, state.History[^1].Step);
    }

    [Fact]
    public void LearningRate_WarmsUpLinearlyThenFollowsTheCosine()
    {
        Assert.Equal(0.1, LearningRateSchedule.WarmupCosine(1, 100, 1.0, 10, 0.1), 12);
        Assert.Equal(1.0, LearningRateSchedule.WarmupCosine(10, 100, 1.0, 10, 0.1), 12);
        Assert.Equal(0.55, LearningRateSchedule.WarmupCosine(55, 100, 1.0, 10, 0.1), 12);  // halfway through the decay
        Assert.Equal(0.1, LearningRateSchedule.WarmupCosine(100, 100, 1.0, 10, 0.1), 12);
        var rates = Enumerable.Range(10, 91).Select(s => LearningRateSchedule.WarmupCosine(s, 100, 1.0, 10, 0.1)).ToList();
        Assert.True(rates.Zip(rates.Skip(1)).All(p => p.Second <= p.First));
    }

    [Fact]
    public void Overrides_ChangeModelAndOptions_AndUnknownKeysAreNamed()
    {
        var task = TrainingTasks.Create("induction");
        var (cfg, options) = TrainingOverrides.Apply(task.DefaultModelConfig, task.DefaultOptions, ["n_layers=1", "d_model=32", "lr=3e-3", "normalization_type=null"]);
        Assert.Equal(1, cfg.NLayers);
        Assert.Equal(32, cfg.DModel);
        Assert.Equal(8, cfg.DHead);  // d_model / n_heads
        Assert.Equal(NormalizationType.None, cfg.Normalization);
        Assert.Equal(3e-3, options.LearningRate);
        var ex = Assert.Throws<ArgumentException>(() => TrainingOverrides.Apply(cfg, options, ["d_modle=3"]));
        Assert.Contains("d_modle", ex.Message);
        Assert.Contains("d_model", ex.Message);
        Assert.Throws<ArgumentException>(() => TrainingOverrides.Apply(cfg, options, ["steps=-1"]));
        Assert.Throws<ArgumentException>(() => TrainingOverrides.Apply(cfg, options, ["lr"]));
    }
}
