using Arrakis.Tokenizers;
using static TorchSharp.torch;

namespace Arrakis.Util;

/// <summary>TransformerLens's <c>utils.tokenize_and_concatenate</c>: a text dataset as rows of equal length for training or evaluation.</summary>
public static class DatasetTokens
{
    /// <summary>
    /// Tokenizes every text (no BOS), joins them with the end-of-text token between texts, cuts the stream into rows of
    /// <paramref name="maxLength"/> tokens — <paramref name="maxLength"/> − 1 of the stream after a BOS when
    /// <paramref name="addBosToken"/> — and drops the incomplete last row, as TransformerLens does.
    /// </summary>
    /// <returns>int64 [rows, maxLength] on the CPU.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> too small.</exception>
    /// <exception cref="ArgumentException">Not enough text for one row.</exception>
    public static Tensor TokenizeAndConcatenate(IEnumerable<string> texts, ArrakisTokenizer tokenizer, int maxLength = 1024, bool addBosToken = true)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(tokenizer);
        int body = maxLength - (addBosToken ? 1 : 0);
        if (body < 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"maxLength is {maxLength}; expected at least {(addBosToken ? 2 : 1)}.");
        long separator = tokenizer.EosTokenId ?? tokenizer.EffectivePadTokenId;
        long bos = tokenizer.BosTokenId ?? separator;
        var stream = new List<long>();
        foreach (string text in texts)
        {
            if (stream.Count > 0) stream.Add(separator);
            stream.AddRange(tokenizer.TokenIds(text, prependBos: false));
        }
        int rows = stream.Count / body;
        if (rows == 0)
            throw new ArgumentException($"texts give {stream.Count} tokens; one row needs {body}.", nameof(texts));
        var data = new long[rows * maxLength];
        for (int r = 0; r < rows; r++)
        {
            int offset = r * maxLength;
            if (addBosToken) data[offset++] = bos;
            stream.CopyTo(r * body, data, offset, body);
        }
        return tensor(data, [rows, maxLength], dtype: int64, device: CPU);
    }
}
