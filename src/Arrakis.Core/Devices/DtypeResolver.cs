using TorchSharp;

namespace Arrakis;

/// <summary>Parses the model dtypes the CLI accepts (<c>--dtype float32|bfloat16|float16</c>).</summary>
public static class DtypeResolver
{
    /// <summary>The accepted spellings, for error messages and help text.</summary>
    public const string Accepted = "float32, bfloat16, float16";

    /// <summary>Parses <c>float32</c> (or <c>fp32</c>), <c>bfloat16</c> (<c>bf16</c>) or <c>float16</c> (<c>fp16</c>, <c>half</c>), case-insensitive.</summary>
    /// <exception cref="ArgumentException">Any other text; the message names the argument, the value and the accepted ones.</exception>
    public static torch.ScalarType Parse(string value, string argumentName = "dtype") =>
        value?.Trim().ToLowerInvariant() switch
        {
            "float32" or "fp32" or "float" => torch.ScalarType.Float32,
            "bfloat16" or "bf16" => torch.ScalarType.BFloat16,
            "float16" or "fp16" or "half" => torch.ScalarType.Float16,
            _ => throw new ArgumentException($"Unknown {argumentName} '{value}'; expected one of: {Accepted}.", argumentName),
        };

    /// <summary>The CLI spelling of a dtype (<c>float32</c>, <c>bfloat16</c>, <c>float16</c>).</summary>
    public static string Name(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float32 => "float32",
        torch.ScalarType.BFloat16 => "bfloat16",
        torch.ScalarType.Float16 => "float16",
        _ => dtype.ToString().ToLowerInvariant(),
    };
}
