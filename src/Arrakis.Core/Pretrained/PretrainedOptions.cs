using TorchSharp;

namespace Arrakis;

/// <summary>
/// How <see cref="HookedTransformer.FromPretrained"/> builds a model: where it lives, its element type, the weight
/// processing applied after loading (TransformerLens <c>from_pretrained</c> defaults: every step on) and whether the
/// folder's tokenizer is loaded.
/// </summary>
/// <example><code>
/// // TransformerLens's from_pretrained_no_processing:
/// using var model = HookedTransformer.FromPretrained("/models/gpt2", new PretrainedOptions { ProcessWeights = ProcessWeightsOptions.None });
/// </code></example>
public sealed record PretrainedOptions
{
    /// <summary>The defaults: CPU, float32, every processing step, tokenizer loaded when present.</summary>
    public static PretrainedOptions Default { get; } = new();

    /// <summary>Where the model lives; weights are read on the CPU and moved there once, before processing.</summary>
    public DeviceChoice Device { get; init; } = DeviceChoice.Cpu;

    /// <summary>Element type of the parameters (TL's default float32, whatever the checkpoint stores); Float16, BFloat16 and Float64 also work.</summary>
    public torch.ScalarType Dtype { get; init; } = torch.ScalarType.Float32;

    /// <summary>Weight processing after loading (TL <c>fold_ln</c>, <c>center_writing_weights</c>, <c>center_unembed</c>,
    /// <c>fold_value_biases</c>); <see cref="ProcessWeightsOptions.None"/> keeps the checkpoint's weights as they are.</summary>
    public ProcessWeightsOptions ProcessWeights { get; init; } = ProcessWeightsOptions.Default;

    /// <summary>Load the folder's tokenizer (<c>tokenizer.json</c>, <c>tokenizer.model</c> or <c>vocab.json</c> + <c>merges.txt</c>)
    /// into <see cref="HookedTransformer.Tokenizer"/> when there is one. A tokenizer that cannot be read is then an error;
    /// set this to false to load the weights alone.</summary>
    public bool LoadTokenizer { get; init; } = true;

    /// <summary>
    /// Back parameters that the checkpoint stores exactly as the model holds them (same dtype, no split or transpose) by
    /// a private, copy-on-write memory mapping of the safetensors file instead of copying them (see
    /// <see cref="Checkpoints.SafetensorsFile.MemoryMapped"/>). Loading is then faster and pages are shared with the page
    /// cache until a parameter is written (weight processing, training), which copies only the written pages; the file
    /// is never modified. The mapping lives as long as the model's parameters. Only on the CPU: with another
    /// <see cref="Device"/>, or a <see cref="Dtype"/> the checkpoint does not store, weights are copied as usual. Off by
    /// default: while the model lives, the file must not be truncated or rewritten in place (a truncated mapping kills
    /// the process with SIGBUS); deleting it or renaming another file over it is safe.
    /// </summary>
    public bool MemoryMap { get; init; }

    /// <summary>Hook points to enable (see <see cref="HookOptions"/>).</summary>
    public HookOptions? HookOptions { get; init; }
}
