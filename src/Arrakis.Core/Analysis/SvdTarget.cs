namespace Arrakis;

/// <summary>Which weights <see cref="SvdInterpreter"/> decomposes (TL <c>SVDInterpreter</c>'s <c>vector_type</c>, plus QK).</summary>
public enum SvdTarget
{
    /// <summary>A head's W_OV = W_V·W_O [d_model, d_model]; output-side singular vectors projected onto W_U (TL "OV").</summary>
    OV,

    /// <summary>A head's W_QK = W_Q·W_Kᵀ [d_model, d_model]; key-side singular vectors projected onto the token embeddings W_E.</summary>
    QK,

    /// <summary>An MLP's W_out [d_mlp, d_model]; output-side singular vectors projected onto W_U (TL "w_out").</summary>
    MlpOut,
}
