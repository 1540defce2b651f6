namespace Arrakis.Sae;

/// <summary>How <see cref="SaeTrainer"/> trains (SAELens <c>LanguageModelSAERunnerConfig</c>'s training fields).</summary>
public sealed record SaeTrainingOptions
{
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Activations per step (SAELens <c>train_batch_size_tokens</c>).</summary>
    public int BatchSize { get; init; } = 1024;

    /// <summary>Adam's peak learning rate (<c>lr</c>).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Linear learning-rate warm-up from 0 (<c>lr_warm_up_steps</c>).</summary>
    public int LearningRateWarmupSteps { get; init; }

    /// <summary>Steps at the end over which the learning rate decays linearly to 0 (<c>lr_decay_steps</c>).</summary>
    public int LearningRateDecaySteps { get; init; }

    /// <summary>Adam β1 (<c>adam_beta1</c>).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam β2 (<c>adam_beta2</c>).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>The L1 coefficient (standard architecture; <c>l1_coefficient</c>). The penalty is Σ_i acts_i·‖W_dec[i]‖.</summary>
    public double L1Coefficient { get; init; } = 1.0;

    /// <summary>Linear warm-up of the L1 coefficient from 0 (<c>l1_warm_up_steps</c>).</summary>
    public int L1WarmupSteps { get; init; }

    /// <summary>Initialise <c>b_dec</c> to the mean of the first batch (SAELens <c>b_dec_init_method="mean"</c>); else zero.</summary>
    public bool InitializeBDecToMean { get; init; } = true;

    /// <summary>A latent that has not fired for this many steps counts as dead (<c>dead_feature_window</c>).</summary>
    public int DeadWindowSteps { get; init; } = 200;

    /// <summary>Resample dead latents every this many steps (0: never; Bricken et al.'s neuron resampling).</summary>
    public int ResampleEverySteps { get; init; }

    /// <summary>No resampling after this step (so the last steps settle); null: <c>Steps / 2</c>.</summary>
    public int? ResampleUntilStep { get; init; }

    /// <summary>Latents firing on more than this fraction of tokens count as dense in the report.</summary>
    public double DenseThreshold { get; init; } = 0.1;

    /// <summary>Seed of the initialisation and of resampling.</summary>
    public long Seed { get; init; }

    /// <summary>Save the SAE every this many steps under <see cref="CheckpointDirectory"/> (0: never).</summary>
    public int CheckpointEverySteps { get; init; }

    /// <summary>Where checkpoints go, one SAELens folder per step (<c>step_000500</c>).</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Batches of held-out activations for the final report.</summary>
    public int EvalBatches { get; init; } = 4;

    /// <summary>Checks the options and returns them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or rate out of range (the message names it).</exception>
    public SaeTrainingOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Steps, 0, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BatchSize, 0, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LearningRate, 0, nameof(LearningRate));
        ArgumentOutOfRangeException.ThrowIfNegative(LearningRateWarmupSteps, nameof(LearningRateWarmupSteps));
        ArgumentOutOfRangeException.ThrowIfNegative(LearningRateDecaySteps, nameof(LearningRateDecaySteps));
        ArgumentOutOfRangeException.ThrowIfNegative(L1Coefficient, nameof(L1Coefficient));
        ArgumentOutOfRangeException.ThrowIfNegative(L1WarmupSteps, nameof(L1WarmupSteps));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DeadWindowSteps, 0, nameof(DeadWindowSteps));
        ArgumentOutOfRangeException.ThrowIfNegative(ResampleEverySteps, nameof(ResampleEverySteps));
        ArgumentOutOfRangeException.ThrowIfNegative(CheckpointEverySteps, nameof(CheckpointEverySteps));
        ArgumentOutOfRangeException.ThrowIfNegative(EvalBatches, nameof(EvalBatches));
        if (CheckpointEverySteps > 0 && string.IsNullOrWhiteSpace(CheckpointDirectory))
            throw new ArgumentException($"CheckpointEverySteps is {CheckpointEverySteps}; set CheckpointDirectory too.", nameof(CheckpointDirectory));
        return this;
    }

    /// <summary>The learning rate of 1-based <paramref name="step"/>: linear warm-up, constant, linear decay to 0.</summary>
    public double LearningRateAt(int step)
    {
        double lr = LearningRate;
        if (LearningRateWarmupSteps > 0 && step <= LearningRateWarmupSteps)
            lr *= (double)step / LearningRateWarmupSteps;
        int decayStart = Steps - LearningRateDecaySteps;
        if (LearningRateDecaySteps > 0 && step > decayStart)
            lr *= Math.Max(0, (double)(Steps - step + 1) / LearningRateDecaySteps);
        return lr;
    }

    /// <summary>The L1 coefficient at 1-based <paramref name="step"/> after warm-up.</summary>
    public double L1CoefficientAt(int step) =>
        L1WarmupSteps > 0 ? L1Coefficient * Math.Min(1.0, (double)step / L1WarmupSteps) : L1Coefficient;
}
