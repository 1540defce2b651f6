using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// The shape and provenance of a sparse autoencoder (SAELens <c>cfg.json</c>: <c>d_in</c>, <c>d_sae</c>,
/// <c>architecture</c>, <c>k</c>, <c>apply_b_dec_to_input</c>, <c>model_name</c>, <c>hook_name</c>, <c>hook_layer</c>,
/// <c>context_size</c>, <c>dtype</c>, <c>device</c>).
/// </summary>
public sealed record SaeConfig
{
    /// <summary><c>d_in</c>: the width of the activation it reads (d_model for a residual or MLP-out hook).</summary>
    public required int DIn { get; init; }

    /// <summary><c>d_sae</c>: the number of latents.</summary>
    public required int DSae { get; init; }

    /// <summary><c>architecture</c>.</summary>
    public SaeArchitecture Architecture { get; init; } = SaeArchitecture.Standard;

    /// <summary><c>k</c>: latents kept per token (TopK, BatchTopK); null otherwise.</summary>
    public int? K { get; init; }

    /// <summary><c>apply_b_dec_to_input</c>: encode <c>x − b_dec</c> (centering) rather than <c>x</c>.</summary>
    public bool ApplyBDecToInput { get; init; } = true;

    /// <summary><c>model_name</c>: the model whose activations it was trained on.</summary>
    public string? ModelName { get; init; }

    /// <summary><c>hook_name</c>: where it reads, e.g. <c>blocks.1.hook_mlp_out</c>.</summary>
    public string? HookName { get; init; }

    /// <summary><c>hook_layer</c>.</summary>
    public int? HookLayer { get; init; }

    /// <summary><c>context_size</c>: the sequence length of the training tokens.</summary>
    public int? ContextSize { get; init; }

    /// <summary>Parameter element type (<c>dtype</c>).</summary>
    public ScalarType Dtype { get; init; } = ScalarType.Float32;

    /// <summary>Where the parameters live (<c>device</c>): <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Checks the configuration and returns it.</summary>
    /// <exception cref="ArgumentException">A size is not positive, or k is missing or out of range for a top-k architecture.</exception>
    public SaeConfig Validate()
    {
        if (DIn <= 0)
            throw new ArgumentException($"DIn is {DIn}; expected a positive width.", nameof(DIn));
        if (DSae <= 0)
            throw new ArgumentException($"DSae is {DSae}; expected a positive number of latents.", nameof(DSae));
        bool topK = Architecture is SaeArchitecture.TopK or SaeArchitecture.BatchTopK;
        if (topK && (K is null || K <= 0 || K > DSae))
            throw new ArgumentException($"K is {K?.ToString() ?? "null"}; the {Architecture} architecture needs 1 ≤ K ≤ DSae ({DSae}).", nameof(K));
        if (Dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"Dtype is {Dtype}; expected a floating-point type.", nameof(Dtype));
        return this;
    }
}
