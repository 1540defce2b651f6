using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arrakis.Training;

/// <summary>One logged point of a run.</summary>
public sealed record TrainingLogEntry
{
    /// <summary>The step (1-based).</summary>
    [JsonPropertyName("step")] public int Step { get; init; }

    /// <summary>Mean training loss over the steps since the previous entry.</summary>
    [JsonPropertyName("loss")] public double Loss { get; init; }

    /// <summary>The learning rate of this step.</summary>
    [JsonPropertyName("lr")] public double LearningRate { get; init; }

    /// <summary>Held-out loss, when evaluated at this step.</summary>
    [JsonPropertyName("eval_loss")] public double? EvalLoss { get; init; }

    /// <summary>Wall-clock seconds of training so far (all sessions of a resumed run).</summary>
    [JsonPropertyName("elapsed_seconds")] public double ElapsedSeconds { get; init; }
}

/// <summary>
/// <c>trainer_state.json</c>: everything besides weights and optimiser moments that a resumed run needs, plus the history
/// and final metrics a model card reports.
/// </summary>
public sealed record TrainerState
{
    /// <summary>The file name inside a checkpoint folder.</summary>
    public const string FileName = "trainer_state.json";

    /// <summary>The task's name.</summary>
    [JsonPropertyName("task")] public string Task { get; init; } = "";

    /// <summary>Completed optimiser steps.</summary>
    [JsonPropertyName("step")] public int Step { get; init; }

    /// <summary>The run's hyper-parameters.</summary>
    [JsonPropertyName("options")] public TrainingOptions Options { get; init; } = new();

    /// <summary>Training wall-clock seconds so far (all sessions).</summary>
    [JsonPropertyName("elapsed_seconds")] public double ElapsedSeconds { get; init; }

    /// <summary>Training tokens processed so far.</summary>
    [JsonPropertyName("tokens_seen")] public long TokensSeen { get; init; }

    /// <summary>libtorch's intra-op thread count during training.</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; }

    /// <summary>Logged points.</summary>
    [JsonPropertyName("history")] public List<TrainingLogEntry> History { get; init; } = [];

    /// <summary>The last task evaluation (see <see cref="ITrainingTask.Evaluate"/>), if any.</summary>
    [JsonPropertyName("metrics")] public Dictionary<string, double>? Metrics { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Serialises to JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <c>trainer_state.json</c>.</summary>
    /// <exception cref="FormatException">Not a valid state file.</exception>
    public static TrainerState FromJson(string json, string source = FileName)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(json, Json) ?? throw new FormatException($"{source}: null.");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{source}: not a trainer state ({ex.Message}).", ex);
        }
    }
}
