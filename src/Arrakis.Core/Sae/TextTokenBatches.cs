using Arrakis.Tokenizers;
using Arrakis.Util;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// Text files tokenized and cut into rows of <c>contextSize</c> tokens (TL <c>tokenize_and_concatenate</c>, a BOS
/// first in each row), in file order; batch i holds rows [i·batchSize, (i+1)·batchSize) and an incomplete last batch is dropped.
/// </summary>
public sealed class TextTokenBatches : ITokenBatches, IDisposable
{
    private readonly Tensor _rows;  // int64 [rows, contextSize]
    private readonly int _batchSize;

    /// <summary>Tokenizes <paramref name="files"/> with <paramref name="tokenizer"/>.</summary>
    /// <exception cref="ArgumentException">No file, a missing file, or too little text for one batch.</exception>
    public TextTokenBatches(IReadOnlyList<string> files, ArrakisTokenizer tokenizer, int contextSize, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
            throw new ArgumentException("Expected at least one text file.", nameof(files));
        foreach (string file in files)
            if (!File.Exists(file))
                throw new ArgumentException($"The text file '{file}' does not exist.", nameof(files));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(batchSize, 0);
        _rows = DatasetTokens.TokenizeAndConcatenate(files.Select(File.ReadAllText), tokenizer, contextSize);
        _batchSize = batchSize;
        Count = _rows.shape[0] / batchSize;
        if (Count == 0)
            throw new ArgumentException($"The files give {_rows.shape[0]} rows of {contextSize} tokens; one batch needs {batchSize}.", nameof(files));
        Description = $"text {string.Join(", ", files.Select(Path.GetFileName))}, {Count} batches of {batchSize} × {contextSize}";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public long Count { get; }

    /// <inheritdoc />
    public Tensor Batch(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _rows[(int)(index * _batchSize)..(int)((index + 1) * _batchSize)].clone();
    }

    /// <inheritdoc />
    public void Dispose() => _rows.Dispose();
}
