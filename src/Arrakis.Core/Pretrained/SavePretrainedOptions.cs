namespace Arrakis;

/// <summary>How <see cref="HookedTransformer.SavePretrained"/> writes a model folder.</summary>
public sealed record SavePretrainedOptions
{
    /// <summary>The defaults: refuse a non-empty target folder, shards of at most 5 GB (as Hugging Face).</summary>
    public static SavePretrainedOptions Default { get; } = new();

    /// <summary>Replace an existing non-empty folder as a whole (its other files are removed). Without it such a folder is an error.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Largest safetensors file; above it the weights are sharded with a <c>model.safetensors.index.json</c>.</summary>
    public long MaxShardBytes { get; init; } = 5_000_000_000;

    /// <summary>
    /// The dtype floating-point weights are stored in (e.g. <c>ScalarType.Float16</c> to halve a float32 model's files);
    /// <c>null</c> (default): each parameter's own dtype. Only storage changes: <c>config.json</c> keeps the model's
    /// <c>torch_dtype</c>, and <see cref="HookedTransformer.FromPretrained"/> converts back to it on load (rounded values).
    /// </summary>
    public TorchSharp.torch.ScalarType? WeightsDtype { get; init; }

    /// <summary>Copy the tokenizer's files into the folder when the model holds a tokenizer loaded from files.</summary>
    public bool SaveTokenizer { get; init; } = true;
}
