using Arrakis.Tokenizers;
using static TorchSharp.torch;

namespace Arrakis.Training;

/// <summary>
/// A synthetic training task: its vocabulary, a seeded data generator, a default architecture and hyper-parameters, and
/// task-specific metrics. Generators are pure functions of their <see cref="SeededRandom"/>; nothing is downloaded.
/// </summary>
public interface ITrainingTask
{
    /// <summary>The task's name as <c>arrakis train --task</c> takes it.</summary>
    string Name { get; }

    /// <summary>The task's word-level vocabulary (id 0 is the BOS/EOS/padding token <c>&lt;|endoftext|&gt;</c>).</summary>
    WordLevelTokenizer Tokenizer { get; }

    /// <summary>Tokens per training sequence, BOS included.</summary>
    int SequenceLength { get; }

    /// <summary>The architecture trained by default (vocabulary size and context already set for this task).</summary>
    HookedTransformerConfig DefaultModelConfig { get; }

    /// <summary>The hyper-parameters used by default.</summary>
    TrainingOptions DefaultOptions { get; }

    /// <summary>A batch of training sequences, int64 [<paramref name="batchSize"/>, <see cref="SequenceLength"/>] on the CPU.</summary>
    Tensor Batch(SeededRandom random, int batchSize);

    /// <summary>Task metrics (accuracies, scores) on fresh examples drawn from <paramref name="seed"/>; names are snake_case.</summary>
    IReadOnlyDictionary<string, double> Evaluate(HookedTransformer model, long seed);
}

/// <summary>The built-in tasks by name.</summary>
public static class TrainingTasks
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["induction", "language"];

    /// <summary>The task called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static ITrainingTask Create(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "induction" => new Tasks.InductionTask(),
        "language" => new Tasks.LanguageTask(),
        _ => throw new ArgumentException($"Unknown task '{name}'; known tasks: {string.Join(", ", Names)}.", nameof(name)),
    };
}
