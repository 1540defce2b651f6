namespace Arrakis;

/// <summary>An attention head, (layer, head) — the seed examples' <c>(0, 1)</c> tuples convert implicitly.</summary>
/// <param name="Layer">Block index.</param>
/// <param name="Head">Query head index within the block.</param>
public readonly record struct HeadIndex(int Layer, int Head)
{
    /// <summary>From a <c>(layer, head)</c> tuple.</summary>
    public static implicit operator HeadIndex((int Layer, int Head) pair) => new(pair.Layer, pair.Head);

    /// <summary>Checks the head exists in <paramref name="cfg"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Layer or head out of range; the message names both ranges.</exception>
    public HeadIndex Validate(HookedTransformerConfig cfg, string argumentName)
    {
        if (Layer < 0 || Layer >= cfg.NLayers || Head < 0 || Head >= cfg.NHeads)
            throw new ArgumentOutOfRangeException(argumentName, this,
                $"expected a layer in [0, {cfg.NLayers}) and a head in [0, {cfg.NHeads}).");
        return this;
    }

    /// <inheritdoc />
    public override string ToString() => $"L{Layer}H{Head}";
}
