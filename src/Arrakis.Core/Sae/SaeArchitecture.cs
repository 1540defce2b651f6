namespace Arrakis.Sae;

/// <summary>How a sparse autoencoder turns its pre-activations into latent activations (SAELens <c>architecture</c>).</summary>
public enum SaeArchitecture
{
    /// <summary><c>"standard"</c>: <c>acts = ReLU(pre)</c>, trained with an L1 penalty (Bricken et al. 2023).</summary>
    Standard,

    /// <summary><c>"topk"</c>: the <c>k</c> largest of <c>ReLU(pre)</c> per token are kept, the rest zeroed (Gao et al. 2024).</summary>
    TopK,

    /// <summary>
    /// BatchTopK (Bussmann et al. 2024), training only: the <c>k × batch</c> largest of <c>ReLU(pre)</c> over the whole
    /// batch are kept. Training ends by converting it to <see cref="JumpRelu"/> with the threshold it learned (a running
    /// mean of the smallest kept activation), as SAELens does.
    /// </summary>
    BatchTopK,

    /// <summary><c>"jumprelu"</c>: <c>acts = ReLU(pre) · [pre &gt; threshold]</c> with a per-latent threshold (Rajamanoharan et al. 2024).</summary>
    JumpRelu,
}
