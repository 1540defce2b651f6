namespace Arrakis;

public partial class HookedTransformer
{
    /// <summary>Every head's label in (layer, head) order, "L0H0", "L0H1", … (TL <c>all_head_labels</c>).</summary>
    public IReadOnlyList<string> AllHeadLabels() =>
        Enumerable.Range(0, Cfg.NLayers).SelectMany(l => Enumerable.Range(0, Cfg.NHeads).Select(h => new HeadIndex(l, h).ToString())).ToList();

    /// <summary>The string of one token id (TL <c>to_single_str_token</c>), decoded as <see cref="ToString(IEnumerable{long})"/> decodes it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside [0, d_vocab).</exception>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public string ToSingleStrToken(long token)
    {
        if (token < 0 || token >= Cfg.DVocab)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token is {token}; expected a vocabulary id in [0, {Cfg.DVocab}) (d_vocab).");
        return ToStrTokens([token])[0];
    }
}
