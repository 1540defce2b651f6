// lens.csx — the lens tool: the logit lens of one prompt, then a tuned lens trained on the model's own task data and
// compared with the logit lens layer by layer.
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/lens.csx [--model gpt2-mini-language] [-- STEPS SEED]
//
// Model: the zoo's gpt2-mini-language by default (`--model gpt2-mini-language`). Training data: sequences of its
// language task (TrainingTasks "language"); any model of the same vocabulary runs. Saves the KL table as the
// experiment "lens" and the translators as lens.safetensors in the output folder.
using Arrakis.Tools;
using Arrakis.Training;

// Reports on the training thread (System.Progress<T> would post them to the thread pool, after the bar is gone).
sealed class StepReporter(Action<TunedLensProgress> report) : IProgress<TunedLensProgress>
{
    public void Report(TunedLensProgress value) => report(value);
}

int steps = Args.Count > 0 ? int.Parse(Args[0]) : 200;
int seed = Args.Count > 1 ? int.Parse(Args[1]) : 0;
var lens = Tools.Get<ILens>("lens");
var task = TrainingTasks.Create("language");
if (Model.Cfg.DVocab != task.Tokenizer.VocabSize)
    throw new ArgumentException($"lens.csx trains on the language task's tokens (vocabulary {task.Tokenizer.VocabSize}); {Model.Cfg.ModelName} has {Model.Cfg.DVocab}.");
int length = (int)Math.Min(task.SequenceLength, Model.Cfg.NCtx);
var train = task.Batch(new SeededRandom(seed, 1), 128)[.., ..length].to(Model.Device);
var heldOut = task.Batch(new SeededRandom(seed, 2), 32)[.., ..length].to(Model.Device);

var summary = Bench.Record("lens", new Dictionary<string, object?> { ["steps"] = steps, ["seed"] = seed }, () =>
{
    var grid = lens.LogitLens(heldOut[..1]);
    Out.WriteLine($"Lenses on {Model.Cfg.ModelName}");
    Out.Write(grid.ToString(5));

    var options = new TunedLensOptions { Steps = steps, Seed = seed, LearningRate = 3e-3 };
    TunedLens tuned;
    using (var bar = Progress.Start("tuned lens", steps))
        tuned = lens.TrainTunedLens(train, options, new StepReporter(_ => bar.Advance()));
    using (tuned)
    {
        tuned.Save(Path.Combine(OutDir, "lens.safetensors"));
        var comparison = lens.CompareLenses(heldOut, tuned);
        Out.Write(comparison);
        return comparison.Layers.ToDictionary(l => l.Label, l => (object?)new Dictionary<string, object?> { ["logit"] = l.LogitLens, ["tuned"] = l.TunedLens });
    }
});
Out.WriteLine($"Saved as experiment 'lens' (run {Bench.LastRun?.RunId}) and lens.safetensors in {Path.GetFullPath(OutDir)}");
