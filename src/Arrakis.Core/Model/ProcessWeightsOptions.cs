namespace Arrakis;

/// <summary>
/// Weight processing applied by <see cref="HookedTransformer.ProcessWeights"/> (TransformerLens's
/// <c>from_pretrained</c> flags; TL defaults are all true). Each leaves log-softmax outputs unchanged.
/// </summary>
public sealed record ProcessWeightsOptions
{
    /// <summary>TL defaults: every step on.</summary>
    public static ProcessWeightsOptions Default { get; } = new();

    /// <summary>No processing.</summary>
    public static ProcessWeightsOptions None { get; } = new() { FoldLn = false, CenterWritingWeights = false, CenterUnembed = false, FoldValueBiases = false };

    /// <summary><c>fold_ln</c>: fold each norm's w (and b) into the weights that read its output; LN → LNPre, RMS → RMSPre.
    /// For LayerNorm the reading weights are also centred over d_model (their input is centred, so nothing changes).</summary>
    public bool FoldLn { get; init; } = true;

    /// <summary><c>center_writing_weights</c>: subtract the d_model mean from everything written to the residual stream
    /// (W_E, W_pos, W_O, b_O, W_out, b_out). Only with LayerNorm, which removes that mean anyway; skipped for RMSNorm.</summary>
    public bool CenterWritingWeights { get; init; } = true;

    /// <summary><c>center_unembed</c>: subtract the vocabulary mean from W_U and b_U (softmax is shift-invariant).</summary>
    public bool CenterUnembed { get; init; } = true;

    /// <summary><c>fold_value_biases</c>: b_O += Σ_h b_V[h]·W_O[h] and b_V = 0 (attention rows sum to 1).</summary>
    public bool FoldValueBiases { get; init; } = true;
}
