using Arrakis.Training;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>A training task's data (<see cref="ITrainingTask.Batch"/>): batch i is drawn with <c>new SeededRandom(seed, i)</c>.</summary>
public sealed class TaskTokenBatches(ITrainingTask task, long seed, int batchSize, long count) : ITokenBatches
{
    private readonly ITrainingTask _task = task ?? throw new ArgumentNullException(nameof(task));

    /// <inheritdoc />
    public string Description => $"task {_task.Name}, seed {seed}, {count} batches of {batchSize} × {_task.SequenceLength}";

    /// <inheritdoc />
    public long Count { get; } = count > 0 ? count : throw new ArgumentOutOfRangeException(nameof(count), count, "expected at least one batch.");

    /// <inheritdoc />
    public Tensor Batch(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _task.Batch(new SeededRandom(seed, index), batchSize);
    }
}
