using System.Text.Json.Serialization;

namespace Arrakis.Training;

/// <summary>
/// Hyper-parameters of one training run (saved in <c>trainer_state.json</c>, so a resumed run continues with the same ones).
/// Immutable: derive a changed copy with <c>with</c>, or from <c>key=value</c> strings with <see cref="TrainingOverrides"/>.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary><c>steps</c>: optimiser steps in the whole run (the schedule's length).</summary>
    [JsonPropertyName("steps")] public int Steps { get; init; } = 1000;

    /// <summary><c>batch_size</c>: sequences per step.</summary>
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 32;

    /// <summary><c>lr</c>: peak learning rate, reached at the end of warm-up.</summary>
    [JsonPropertyName("lr")] public double LearningRate { get; init; } = 1e-3;

    /// <summary><c>min_lr_ratio</c>: the cosine decays to <c>lr × min_lr_ratio</c> at the last step.</summary>
    [JsonPropertyName("min_lr_ratio")] public double MinLearningRateRatio { get; init; } = 0.1;

    /// <summary><c>warmup_steps</c>: linear warm-up from lr/warmup_steps to lr.</summary>
    [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; } = 100;

    /// <summary><c>weight_decay</c>: AdamW's decoupled decay, applied to weight matrices (<c>W_*</c>) only, never to biases or norms.</summary>
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 0.01;

    /// <summary><c>beta1</c> of AdamW.</summary>
    [JsonPropertyName("beta1")] public double Beta1 { get; init; } = 0.9;

    /// <summary><c>beta2</c> of AdamW.</summary>
    [JsonPropertyName("beta2")] public double Beta2 { get; init; } = 0.99;

    /// <summary><c>adam_eps</c> of AdamW.</summary>
    [JsonPropertyName("adam_eps")] public double AdamEps { get; init; } = 1e-8;

    /// <summary><c>grad_clip</c>: the global gradient norm is clipped to this (0 turns clipping off).</summary>
    [JsonPropertyName("grad_clip")] public double GradClip { get; init; } = 1.0;

    /// <summary><c>seed</c>: model initialisation and the data stream (the batch of step s depends only on seed and s).</summary>
    [JsonPropertyName("seed")] public int Seed { get; init; } = 1;

    /// <summary><c>eval_every</c>: steps between evaluations of the held-out loss (0: only at the end).</summary>
    [JsonPropertyName("eval_every")] public int EvalEvery { get; init; } = 200;

    /// <summary><c>eval_batches</c>: held-out batches per evaluation (always the same ones).</summary>
    [JsonPropertyName("eval_batches")] public int EvalBatches { get; init; } = 4;

    /// <summary><c>checkpoint_every</c>: steps between checkpoints written to the output folder (0: only at the end).</summary>
    [JsonPropertyName("checkpoint_every")] public int CheckpointEvery { get; init; }

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">A field is out of range; the message names it.</exception>
    public TrainingOptions Validate()
    {
        Check(Steps > 0, "steps", Steps, "a positive integer");
        Check(BatchSize > 0, "batch_size", BatchSize, "a positive integer");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), "lr", LearningRate, "a positive number");
        Check(MinLearningRateRatio is >= 0 and <= 1, "min_lr_ratio", MinLearningRateRatio, "a number in [0, 1]");
        Check(WarmupSteps >= 0, "warmup_steps", WarmupSteps, "a non-negative integer");
        Check(WeightDecay >= 0, "weight_decay", WeightDecay, "a non-negative number");
        Check(Beta1 is >= 0 and < 1, "beta1", Beta1, "a number in [0, 1)");
        Check(Beta2 is >= 0 and < 1, "beta2", Beta2, "a number in [0, 1)");
        Check(AdamEps > 0, "adam_eps", AdamEps, "a positive number");
        Check(GradClip >= 0, "grad_clip", GradClip, "a non-negative number (0 = off)");
        Check(EvalEvery >= 0, "eval_every", EvalEvery, "a non-negative integer");
        Check(EvalBatches > 0, "eval_batches", EvalBatches, "a positive integer");
        Check(CheckpointEvery >= 0, "checkpoint_every", CheckpointEvery, "a non-negative integer");
        return this;
    }

    private static void Check(bool ok, string name, object value, string expected)
    {
        if (!ok)
            throw new ArgumentException($"{name} is {value}; expected {expected}.", name);
    }
}
