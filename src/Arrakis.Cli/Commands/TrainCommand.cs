using System.CommandLine;
using System.Globalization;
using Arrakis.Training;
using Spectre.Console;

namespace Arrakis.Cli.Commands;

/// <summary>
/// <c>arrakis train --task &lt;induction|language&gt; --out &lt;dir&gt; [--steps N] [--seed S] [--config key=value]… [--resume]</c>:
/// trains a model on a built-in synthetic task with a live progress bar and writes a model folder, a training checkpoint
/// and a model card into the output folder.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task")
        {
            Description = $"The synthetic task: {string.Join(" or ", TrainingTasks.Names)}.",
            Required = true,
        };
        task.AcceptOnlyFromAmong([.. TrainingTasks.Names]);
        var output = new Option<string>("--out") { Description = "Output folder (model, tokenizer, checkpoint, model card).", Required = true };
        var steps = new Option<int?>("--steps") { Description = "Optimiser steps (default: the task's)." };
        var seed = new Option<int?>("--seed") { Description = "Seed of initialisation and data (default 1)." };
        var config = new Option<string[]>("--config")
        {
            Description = "key=value overrides, repeatable: model keys (" + string.Join(", ", TrainingOverrides.ModelKeys) +
                          ") and training keys (" + string.Join(", ", TrainingOverrides.TrainingKeys) + ").",
            AllowMultipleArgumentsPerToken = true,
        };
        var resume = new Option<bool>("--resume") { Description = "Continue the checkpoint in --out (its options; --steps may extend the run)." };
        var threads = new Option<int>("--threads")
        {
            Description = "libtorch intra-op threads (default 1: these models are small, and on a busy 2-core machine 1 thread trained 9× faster than 2).",
            DefaultValueFactory = _ => 1,
        };
        var noProgress = new Option<bool>("--no-progress") { Description = "Print a line per evaluation instead of a live progress bar." };
        var device = new Option<string>("--device") { Description = "Where to train: cpu, cuda or auto (default cpu).", DefaultValueFactory = _ => "cpu" };
        var dtype = new Option<string>("--dtype") { Description = "Parameter dtype: float32, bfloat16 or float16 (default float32).", DefaultValueFactory = _ => "float32" };
        var cardOnly = new Option<bool>("--card-only") { Description = "Do not train: rewrite the model card (README.md) of the checkpoint in --out from its weights and trainer_state.json." };

        var command = new Command("train", "Train a model on a built-in synthetic task (induction, language) and save it in the Hugging Face layout.")
        {
            task, output, steps, seed, config, resume, threads, noProgress, cardOnly, device, dtype,
        };
        // The shared error handling (CliErrors: one line, exit 2 for bad input) and Ctrl+C (CtrlC: the first press
        // stops at the next step and saves a checkpoint, exit 130), like every other command.
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), () =>
        {
            using var cancel = new CtrlC();
            return Task.FromResult(parse.GetValue(cardOnly)
                ? WriteCard(parse.GetValue(task)!, parse.GetValue(output)!, parse.GetValue(threads))
                : Run(
                parse.GetValue(task)!, parse.GetValue(output)!, parse.GetValue(steps), parse.GetValue(seed), parse.GetValue(config) ?? [],
                parse.GetValue(resume), parse.GetValue(threads), parse.GetValue(noProgress), cancel.Token,
                parse.GetValue(device) ?? "cpu", parse.GetValue(dtype) ?? "float32"));
        }));
        return command;
    }

    private static int Run(string taskName, string outDir, int? steps, int? seed, string[] overrides, bool resume, int threads, bool noProgress,
        CancellationToken cancellationToken, string deviceText = "cpu", string dtypeText = "float32")
    {
        var console = AnsiConsole.Console;
        try
        {
            if (threads < 1)
            {
                throw new CliException("--threads must be at least 1.");
            }
            TorchSharp.torch.set_num_threads(threads);
            DeviceChoice device;
            TorchSharp.torch.ScalarType dtype;
            try
            {
                device = DeviceResolver.Parse(deviceText, "--device");
                dtype = DtypeResolver.Parse(dtypeText, "--dtype");
                DeviceResolver.Resolve(device);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                throw new CliException(e.Message.Split(" (Parameter")[0]);
            }
            var task = TrainingTasks.Create(taskName);
            Trainer trainer;
            HookedTransformer? ownedModel = null;
            if (resume)
            {
                if (!File.Exists(Path.Combine(outDir, TrainerState.FileName)))
                {
                    throw new CliException($"--resume: {Path.GetFullPath(outDir)} has no {TrainerState.FileName}.");
                }
                if (overrides.Length > 0 || seed is not null)
                {
                    throw new CliException("--resume continues the saved run; only --steps may change it.");
                }
                trainer = Trainer.Resume(outDir, task, o => steps is { } s ? o with { Steps = s } : o);
            }
            else
            {
                if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !File.Exists(Path.Combine(outDir, TrainerState.FileName)))
                {
                    throw new CliException($"{Path.GetFullPath(outDir)} is not empty and holds no training checkpoint; checkpoints replace the folder's content, so give an empty or new folder.");
                }
                var (cfg, options) = TrainingOverrides.Apply(task.DefaultModelConfig, task.DefaultOptions, overrides);
                if (steps is { } s)
                    options = options with { Steps = s };
                if (seed is { } sd)
                    options = options with { Seed = sd };
                options = options.Validate();
                ownedModel = new HookedTransformer(cfg with { Seed = options.Seed, Device = device, Dtype = dtype });
                trainer = new Trainer(ownedModel, task, options, outDir);
            }

            using (trainer)
            using (ownedModel)
            {
                var cfg = trainer.Model.Cfg;
                long parameters = trainer.Model.parameters().Sum(p => p.numel());
                console.MarkupLineInterpolated($"[bold]arrakis train[/] task [green]{task.Name}[/] → {Path.GetFullPath(outDir)}");
                console.MarkupLineInterpolated(
                    $"model {cfg.ModelName}: {cfg.NLayers} layers, d_model {cfg.DModel}, {cfg.NHeads} heads × {cfg.DHead}, {(cfg.AttnOnly ? "attention-only" : $"d_mlp {cfg.DMlp}")}, vocab {cfg.DVocab}, n_ctx {cfg.NCtx}, {parameters:N0} parameters");
                var o = trainer.Options;
                console.MarkupLineInterpolated(
                    $"steps {o.Steps} (from {trainer.Step}), batch {o.BatchSize}×{task.SequenceLength}, lr {o.LearningRate:G3} (warm-up {o.WarmupSteps}, cosine to ×{o.MinLearningRateRatio}), weight decay {o.WeightDecay}, clip {o.GradClip}, seed {o.Seed}, {TorchSharp.torch.get_num_threads()} threads");

                TrainingResult result;
                bool interactive = !noProgress && console.Profile.Capabilities.Interactive;
                if (interactive)
                {
                    result = console.Progress()
                        .AutoClear(false)
                        .HideCompleted(false)
                        .Columns(new ProgressBarColumn { Width = 20 }, new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
                        .Start(ctx =>
                        {
                            var bar = ctx.AddTask("starting", maxValue: o.Steps);
                            bar.Value = trainer.Step;
                            double? lastEval = null;
                            return trainer.Run(p =>
                            {
                                lastEval = p.EvalLoss ?? lastEval;
                                bar.Value = p.Step;
                                bar.Description = Describe(p, lastEval);
                            }, cancellationToken);
                        });
                }
                else
                {
                    result = trainer.Run(p =>
                    {
                        if (p.EvalLoss is not null || p.Step == p.TotalSteps || p.Step % Math.Max(1, p.TotalSteps / 20) == 0)
                            Console.Out.WriteLine(Plain(p));  // plain lines, never wrapped: logs and CI
                    }, cancellationToken);
                }

                string card = ModelCard.Write(outDir, trainer.Model, task, result.State);
                console.MarkupLineInterpolated($"[bold]done[/] in {FormatTime(TimeSpan.FromSeconds(result.State.ElapsedSeconds))}: eval loss {result.FinalEvalLoss:F4}");
                var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
                foreach (var (k, v) in result.Metrics)
                    table.AddRow(k, v.ToString("F4", CultureInfo.InvariantCulture));
                console.Write(table);
                console.MarkupLineInterpolated($"saved model, tokenizer, checkpoint and model card ({Path.GetFileName(card)}) in {Path.GetFullPath(outDir)}");
                return ExitCodes.Ok;
            }
        }
        catch (OperationCanceledException)
        {
            console.MarkupLineInterpolated($"[yellow]interrupted[/]: checkpoint saved in {Path.GetFullPath(outDir)}; continue with --resume.");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or FileNotFoundException or InvalidOperationException or IOException)
        {
            throw new CliException($"{ex.Message}");
        }
    }

    private static int WriteCard(string taskName, string outDir, int threads)
    {
        var console = AnsiConsole.Console;
        try
        {
            TorchSharp.torch.set_num_threads(Math.Max(1, threads));
            string statePath = Path.Combine(outDir, TrainerState.FileName);
            if (!File.Exists(statePath))
            {
                throw new CliException($"--card-only: {Path.GetFullPath(outDir)} has no {TrainerState.FileName}.");
            }
            var state = TrainerState.FromJson(File.ReadAllText(statePath), statePath);
            var task = TrainingTasks.Create(state.Task);
            if (!string.Equals(task.Name, taskName, StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException($"the checkpoint was trained on '{state.Task}', not '{taskName}'.");
            }
            using var model = TrainingCheckpoint.Load(outDir);
            string card = ModelCard.Write(outDir, model, task, state);
            console.MarkupLineInterpolated($"wrote {Path.GetFullPath(card)}");
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or FileNotFoundException or InvalidOperationException or IOException)
        {
            throw new CliException($"{ex.Message}");
        }
    }

    /// <summary>The live line: steps, smoothed loss, last held-out loss, tokens/s and ETA (fits an 80-column terminal).</summary>
    private static string Describe(TrainingProgress p, double? lastEval) =>
        Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{p.Step}/{p.TotalSteps} loss {p.SmoothedLoss:F3}{(lastEval is { } e ? $" eval {e:F3}" : "")} {p.TokensPerSecond / 1000:F1}k tok/s ETA {FormatTime(p.Remaining)}"));

    private static string Plain(TrainingProgress p) =>
        string.Create(CultureInfo.InvariantCulture,
            $"step {p.Step}/{p.TotalSteps}  loss {p.SmoothedLoss:F4}{(p.EvalLoss is { } e ? $"  eval {e:F4}" : "")}  {p.TokensPerSecond / 1000:F1}k tok/s  lr {p.LearningRate:0.00e0}  elapsed {FormatTime(p.Elapsed)}  ETA {FormatTime(p.Remaining)}");

    private static string FormatTime(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
}
