namespace Arrakis;

/// <summary>Normalisation layers (TransformerLens <c>normalization_type</c>).</summary>
public enum NormalizationType
{
    /// <summary><c>LN</c>: centre, divide by √(mean(x²)+ε), then ·w + b.</summary>
    LayerNorm,

    /// <summary><c>LNPre</c>: LayerNorm without weights (after <c>fold_ln</c> moved them into the readers).</summary>
    LayerNormPre,

    /// <summary><c>RMS</c>: divide by √(mean(x²)+ε), then ·w; no centring, no bias.</summary>
    RMSNorm,

    /// <summary><c>RMSPre</c>: RMSNorm without its weight (after <c>fold_ln</c>).</summary>
    RMSNormPre,

    /// <summary>No normalisation (identity).</summary>
    None,
}
