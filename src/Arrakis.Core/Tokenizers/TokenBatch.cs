using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tokenizers;

/// <summary>Which end of a row receives padding when a batch holds texts of different token lengths.</summary>
public enum PaddingSide
{
    /// <summary>Pad after the text (TransformerLens's default).</summary>
    Right,
    /// <summary>Pad before the text, so every row's last token lines up.</summary>
    Left,
}

/// <summary>Where <see cref="ArrakisTokenizer.GetTokenPosition(int, IReadOnlyList{long}, TokenPositionMode)"/> looks.</summary>
public enum TokenPositionMode
{
    /// <summary>The first occurrence.</summary>
    First,
    /// <summary>The last occurrence.</summary>
    Last,
}

/// <summary>
/// The result of <see cref="ArrakisTokenizer.ToTokens(IReadOnlyList{string}, bool?, PaddingSide?, Device?, int?)"/>:
/// token ids and attention mask, both int64 <c>[batch, pos]</c>, plus each row's unpadded length. Disposing it disposes both tensors.
/// </summary>
public sealed class TokenBatch : IDisposable
{
    internal TokenBatch(Tensor tokens, Tensor attentionMask, int[] lengths, PaddingSide paddingSide)
    {
        Tokens = tokens;
        AttentionMask = attentionMask;
        Lengths = lengths;
        PaddingSide = paddingSide;
    }

    /// <summary>Token ids, int64 <c>[batch, pos]</c>; padding positions hold the pad id.</summary>
    public Tensor Tokens { get; }

    /// <summary>1 where <see cref="Tokens"/> holds a real token (BOS included), 0 on padding; int64 <c>[batch, pos]</c>.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>Each row's number of real tokens.</summary>
    public IReadOnlyList<int> Lengths { get; }

    /// <summary>Where the padding went.</summary>
    public PaddingSide PaddingSide { get; }

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Tokens.Dispose();
        AttentionMask.Dispose();
    }
}
