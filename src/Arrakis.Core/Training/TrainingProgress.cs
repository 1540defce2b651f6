namespace Arrakis.Training;

/// <summary>A progress report, sent after every step (and after every evaluation).</summary>
/// <param name="Step">Completed steps.</param>
/// <param name="TotalSteps">Steps in the run.</param>
/// <param name="Loss">This step's training loss.</param>
/// <param name="SmoothedLoss">Exponential moving average of the training loss (α = 0.05, bias-corrected).</param>
/// <param name="LearningRate">This step's learning rate.</param>
/// <param name="GradNorm">The global gradient norm before clipping.</param>
/// <param name="TokensPerSecond">Training throughput in this session.</param>
/// <param name="Elapsed">Training time so far (all sessions of a resumed run).</param>
/// <param name="Remaining">Estimated time to the last step at this session's pace.</param>
/// <param name="EvalLoss">The held-out loss when this report follows an evaluation, else null.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double SmoothedLoss, double LearningRate, double GradNorm,
    double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining, double? EvalLoss);

/// <summary>The outcome of <see cref="Trainer.Run"/>.</summary>
/// <param name="State">The final trainer state (history and metrics included).</param>
/// <param name="FinalEvalLoss">Held-out loss after the last step.</param>
/// <param name="Metrics">The task's metrics after the last step.</param>
public sealed record TrainingResult(TrainerState State, double FinalEvalLoss, IReadOnlyDictionary<string, double> Metrics);
