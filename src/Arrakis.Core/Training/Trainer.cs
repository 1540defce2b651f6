using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Training;

/// <summary>
/// Trains a <see cref="HookedTransformer"/> on an <see cref="ITrainingTask"/>: AdamW (decay on <c>W_*</c> matrices only),
/// linear warm-up then cosine decay, global gradient-norm clipping, a held-out loss every
/// <see cref="TrainingOptions.EvalEvery"/> steps, checkpoints every <see cref="TrainingOptions.CheckpointEvery"/> steps,
/// and resumption from a checkpoint (weights, optimiser moments and step).
/// </summary>
/// <remarks>
/// Deterministic: the model is initialised from <see cref="HookedTransformerConfig.Seed"/> and the batch of step s is
/// <c>task.Batch(new SeededRandom(seed, s), …)</c>, so an interrupted-and-resumed run sees the same batches as an
/// uninterrupted one and (on the same thread count) reaches the same weights. The held-out batches come from a fixed
/// seed independent of the training seed, so evaluation losses compare across runs.
/// </remarks>
/// <example><code>
/// var task = TrainingTasks.Create("induction");
/// using var model = new HookedTransformer(task.DefaultModelConfig with { Seed = 1 });
/// using var trainer = new Trainer(model, task, task.DefaultOptions with { Steps = 200 }, outputDirectory: "out/induction");
/// var result = trainer.Run(p => Console.Write($"\r{p.Step}/{p.TotalSteps} loss {p.SmoothedLoss:F3}"));
/// </code></example>
public sealed class Trainer : IDisposable
{
    /// <summary>The seed of the held-out evaluation batches.</summary>
    public const long EvalSeed = 0x5EED_E7A1;

    /// <summary>Optimiser state file inside a checkpoint folder (TorchSharp's optimizer state format).</summary>
    public const string OptimizerFileName = "optimizer.bin";

    private readonly AdamW _optimizer;
    private readonly List<AdamW.ParamGroup> _groups;
    private readonly string? _outputDirectory;
    private TrainerState _state;
    private readonly bool _ownsModel;
    private Tensor[]? _evalBatches;

    /// <summary>Prepares a fresh run of <paramref name="model"/> on <paramref name="task"/>.</summary>
    /// <param name="model">The model to train (its vocabulary and context must fit the task).</param>
    /// <param name="task">The data.</param>
    /// <param name="options">Hyper-parameters.</param>
    /// <param name="outputDirectory">Where checkpoints go (the final one included), replacing the folder's content each time;
    /// null keeps everything in memory.</param>
    /// <exception cref="ArgumentException">The model's vocabulary or context is smaller than the task needs, or an option is invalid.</exception>
    public Trainer(HookedTransformer model, ITrainingTask task, TrainingOptions options, string? outputDirectory = null)
        : this(model, task, options, outputDirectory, state: null, ownsModel: false)
    {
    }

    private Trainer(HookedTransformer model, ITrainingTask task, TrainingOptions options, string? outputDirectory, TrainerState? state, bool ownsModel)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Task = task ?? throw new ArgumentNullException(nameof(task));
        Options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        if (model.Cfg.DVocab < task.Tokenizer.VocabSize)
            throw new ArgumentException($"The model's d_vocab ({model.Cfg.DVocab}) is smaller than the task's vocabulary ({task.Tokenizer.VocabSize}).", nameof(model));
        if (model.Cfg.PositionalEmbedding == PositionalEmbeddingType.Learned && model.Cfg.NCtx < task.SequenceLength)
            throw new ArgumentException($"The model's n_ctx ({model.Cfg.NCtx}) is shorter than the task's sequences ({task.SequenceLength}).", nameof(model));
        _outputDirectory = outputDirectory;
        _ownsModel = ownsModel;
        _state = state ?? new TrainerState { Task = task.Name, Options = Options, Threads = get_num_threads() };
        _state = _state with { Options = Options };

        // The optimiser's state is saved with TorchSharp's save_state_dict, which needs contiguous tensors.
        model.MakeParametersContiguous();
        var named = model.named_parameters().ToList();
        bool Decays(string name) => name[(name.LastIndexOf('.') + 1)..].StartsWith("W_", StringComparison.Ordinal);
        _groups =
        [
            new AdamW.ParamGroup(named.Where(p => Decays(p.name)).Select(p => p.parameter),
                Options.LearningRate, Options.Beta1, Options.Beta2, Options.AdamEps, Options.WeightDecay, false, false),
            new AdamW.ParamGroup(named.Where(p => !Decays(p.name)).Select(p => p.parameter),
                Options.LearningRate, Options.Beta1, Options.Beta2, Options.AdamEps, 0.0, false, false),
        ];
        _groups.RemoveAll(g => !g.Parameters.Any());
        _optimizer = optim.AdamW(_groups, Options.LearningRate, Options.Beta1, Options.Beta2, Options.AdamEps, Options.WeightDecay);
    }

    /// <summary>
    /// Continues the run saved in <paramref name="checkpointDirectory"/>: its model, optimiser state, step and options
    /// (<paramref name="changeOptions"/> may change them, e.g. more steps). New checkpoints go to
    /// <paramref name="outputDirectory"/>, by default the same folder. The trainer owns (and disposes) the loaded model.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder lacks a file of a training checkpoint.</exception>
    public static Trainer Resume(string checkpointDirectory, ITrainingTask? task = null, Func<TrainingOptions, TrainingOptions>? changeOptions = null,
        string? outputDirectory = null)
    {
        string statePath = Path.Combine(checkpointDirectory, TrainerState.FileName);
        if (!File.Exists(statePath))
            throw new FileNotFoundException($"{Path.GetFullPath(checkpointDirectory)}: no {TrainerState.FileName}; not a training checkpoint.", statePath);
        var state = TrainerState.FromJson(File.ReadAllText(statePath), statePath);
        task ??= TrainingTasks.Create(state.Task);
        var options = changeOptions is null ? state.Options : changeOptions(state.Options);
        var model = TrainingCheckpoint.Load(checkpointDirectory);
        try
        {
            var trainer = new Trainer(model, task, options, outputDirectory ?? checkpointDirectory, state, ownsModel: true);
            string optimizerPath = Path.Combine(checkpointDirectory, OptimizerFileName);
            if (File.Exists(optimizerPath))
                trainer._optimizer.load_state_dict(optimizerPath);
            return trainer;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The model being trained.</summary>
    public HookedTransformer Model { get; }

    /// <summary>The task.</summary>
    public ITrainingTask Task { get; }

    /// <summary>The hyper-parameters.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Completed steps.</summary>
    public int Step => _state.Step;

    /// <summary>The run's state so far.</summary>
    public TrainerState State => _state;

    /// <summary>
    /// Trains from the current step to <see cref="TrainingOptions.Steps"/>, reporting every step to <paramref name="progress"/>,
    /// then evaluates (held-out loss and task metrics) and, with an output folder, writes the final checkpoint.
    /// Cancelling stops after the current step and saves a checkpoint there (with an output folder), so the run can resume.
    /// </summary>
    /// <param name="progress">Called after every step.</param>
    /// <param name="cancellationToken">Stops the run after the current step.</param>
    /// <param name="taskMetrics">Whether to compute the task's metrics at the end (<see cref="ITrainingTask.Evaluate"/>; seconds).</param>
    public TrainingResult Run(Action<TrainingProgress>? progress = null, CancellationToken cancellationToken = default, bool taskMetrics = true)
    {
        manual_seed(Options.Seed + Step);
        Model.train();
        var clock = Stopwatch.StartNew();
        double startElapsed = _state.ElapsedSeconds;
        long sessionTokens = 0;
        int sessionStart = Step;
        double ema = double.NaN, emaWeight = 0;
        double logSum = 0;
        int logCount = 0;
        int logEvery = Math.Max(1, Options.Steps / 200);
        var history = new List<TrainingLogEntry>(_state.History);
        try
        {
            while (Step < Options.Steps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int step = Step + 1;
                double lr = LearningRateSchedule.WarmupCosine(step, Options.Steps, Options.LearningRate, Options.WarmupSteps, Options.MinLearningRateRatio);
                foreach (var g in _groups)
                    g.LearningRate = lr;

                double loss, gradNorm;
                using (var scope = NewDisposeScope())
                {
                    var tokens = Task.Batch(new SeededRandom(Options.Seed, step), Options.BatchSize).to(Model.Device);
                    _optimizer.zero_grad();
                    var lossTensor = Model.Loss(tokens);
                    lossTensor.backward();
                    gradNorm = Options.GradClip > 0
                        ? nn.utils.clip_grad_norm_(Model.parameters(), Options.GradClip)
                        : double.NaN;
                    _optimizer.step();
                    loss = lossTensor.item<float>();
                    sessionTokens += tokens.numel();
                }
                if (!double.IsFinite(loss))
                    throw new InvalidOperationException($"The training loss became {loss} at step {step}; lower lr (now {lr:G3}) or raise grad_clip.");

                emaWeight = emaWeight * 0.95 + 0.05;
                ema = double.IsNaN(ema) ? loss * 0.05 : ema * 0.95 + loss * 0.05;
                logSum += loss;
                logCount++;
                double elapsed = startElapsed + clock.Elapsed.TotalSeconds;
                _state = _state with { Step = step, ElapsedSeconds = elapsed, TokensSeen = _state.TokensSeen + Options.BatchSize * Task.SequenceLength };

                double? evalLoss = null;
                bool evaluate = Options.EvalEvery > 0 && step % Options.EvalEvery == 0 && step < Options.Steps;
                if (evaluate)
                    evalLoss = EvaluateLoss();
                if (step % logEvery == 0 || evaluate || step == Options.Steps)
                {
                    history.Add(new TrainingLogEntry { Step = step, Loss = logSum / logCount, LearningRate = lr, EvalLoss = evalLoss, ElapsedSeconds = elapsed });
                    logSum = 0;
                    logCount = 0;
                    _state = _state with { History = [.. history] };
                }

                double perStep = clock.Elapsed.TotalSeconds / Math.Max(1, step - sessionStart);
                progress?.Invoke(new TrainingProgress(step, Options.Steps, loss, ema / emaWeight, lr, gradNorm,
                    sessionTokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds), TimeSpan.FromSeconds(elapsed),
                    TimeSpan.FromSeconds(perStep * (Options.Steps - step)), evalLoss));

                if (_outputDirectory is not null && Options.CheckpointEvery > 0 && step % Options.CheckpointEvery == 0 && step < Options.Steps)
                    SaveCheckpoint(_outputDirectory);
            }
        }
        catch (OperationCanceledException)
        {
            if (_outputDirectory is not null && Step > 0)
                SaveCheckpoint(_outputDirectory);
            throw;
        }
        finally
        {
            Model.eval();
        }

        double finalEval = EvaluateLoss();
        IReadOnlyDictionary<string, double> metrics = taskMetrics ? Task.Evaluate(Model, EvalSeed) : new Dictionary<string, double>();
        if (history.Count > 0)
            history[^1] = history[^1] with { EvalLoss = finalEval };
        _state = _state with { History = [.. history], Metrics = taskMetrics ? new Dictionary<string, double>(metrics) : _state.Metrics };
        if (_outputDirectory is not null)
            SaveCheckpoint(_outputDirectory);
        return new TrainingResult(_state, finalEval, metrics);
    }

    /// <summary>Mean loss on the fixed held-out batches (<see cref="TrainingOptions.EvalBatches"/> × batch size sequences).</summary>
    public double EvaluateLoss()
    {
        _evalBatches ??= Enumerable.Range(0, Options.EvalBatches)
            .Select(i => Task.Batch(new SeededRandom(EvalSeed, i), Options.BatchSize).DetachFromDisposeScope())
            .ToArray();
        bool wasTraining = Model.training;
        Model.eval();
        try
        {
            using var _ = no_grad();
            double sum = 0;
            foreach (var batch in _evalBatches)
            {
                using var scope = NewDisposeScope();
                sum += Model.Loss(batch.to(Model.Device)).item<float>();
            }
            return sum / _evalBatches.Length;
        }
        finally
        {
            if (wasTraining)
                Model.train();
        }
    }

    /// <summary>
    /// Writes a training checkpoint into <paramref name="directory"/>, replacing it as a whole: the model folder
    /// (<see cref="TrainingCheckpoint.Save"/>), <c>trainer_state.json</c> and the optimiser state (<see cref="OptimizerFileName"/>).
    /// </summary>
    public void SaveCheckpoint(string directory)
    {
        TrainingCheckpoint.Save(directory, Model, Task.Tokenizer, temp =>
        {
            _optimizer.save_state_dict(Path.Combine(temp, OptimizerFileName));
            File.WriteAllText(Path.Combine(temp, TrainerState.FileName), _state.ToJson() + "\n");
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _optimizer.Dispose();
        if (_evalBatches is not null)
            foreach (var b in _evalBatches)
                b.Dispose();
        if (_ownsModel)
            Model.Dispose();
    }
}
