namespace Arrakis;

/// <summary>How positions enter the model (TransformerLens <c>positional_embedding_type</c>).</summary>
public enum PositionalEmbeddingType
{
    /// <summary><c>standard</c>: a learned table <c>W_pos</c> [n_ctx, d_model] added to the token embedding.</summary>
    Learned,

    /// <summary><c>rotary</c>: queries and keys are rotated (first <c>rotary_dim</c> dims, GPT-NeoX "rotate half").</summary>
    Rotary,

    /// <summary>No positional information (attention is still causal).</summary>
    None,
}
