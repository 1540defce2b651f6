using TorchSharp;

namespace Arrakis.Checkpoints;

/// <summary>The element types the safetensors format names in its header (spelled as in the file).</summary>
public enum SafetensorsDtype
{
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    BOOL,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>8-bit float, 5 exponent bits (no TorchSharp equivalent: readable as metadata only).</summary>
    F8_E5M2,
    /// <summary>8-bit float, 4 exponent bits (no TorchSharp equivalent: readable as metadata only).</summary>
    F8_E4M3,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Unsigned 16-bit integer (no TorchSharp equivalent: readable as metadata only).</summary>
    U16,
    /// <summary>IEEE half precision.</summary>
    F16,
    /// <summary>bfloat16.</summary>
    BF16,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Unsigned 32-bit integer (no TorchSharp equivalent: readable as metadata only).</summary>
    U32,
    /// <summary>IEEE single precision.</summary>
    F32,
    /// <summary>IEEE double precision.</summary>
    F64,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Unsigned 64-bit integer (no TorchSharp equivalent: readable as metadata only).</summary>
    U64,
}

/// <summary>Sizes of, and conversions between, <see cref="SafetensorsDtype"/> and TorchSharp's <see cref="torch.ScalarType"/>.</summary>
public static class SafetensorsDtypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.BOOL or SafetensorsDtype.U8 or SafetensorsDtype.I8
            or SafetensorsDtype.F8_E5M2 or SafetensorsDtype.F8_E4M3 => 1,
        SafetensorsDtype.I16 or SafetensorsDtype.U16 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 => 2,
        SafetensorsDtype.I32 or SafetensorsDtype.U32 or SafetensorsDtype.F32 => 4,
        SafetensorsDtype.I64 or SafetensorsDtype.U64 or SafetensorsDtype.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Parses the header spelling (case-sensitive, as the format requires).</summary>
    public static bool TryParse(string text, out SafetensorsDtype dtype)
    {
        foreach (var candidate in Enum.GetValues<SafetensorsDtype>())
        {
            if (string.Equals(candidate.ToString(), text, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>The TorchSharp element type, or null for the types TorchSharp 0.107 has none for (U16, U32, U64, F8_*).</summary>
    public static torch.ScalarType? ToScalarType(SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.BOOL => torch.ScalarType.Bool,
        SafetensorsDtype.U8 => torch.ScalarType.Byte,
        SafetensorsDtype.I8 => torch.ScalarType.Int8,
        SafetensorsDtype.I16 => torch.ScalarType.Int16,
        SafetensorsDtype.F16 => torch.ScalarType.Float16,
        SafetensorsDtype.BF16 => torch.ScalarType.BFloat16,
        SafetensorsDtype.I32 => torch.ScalarType.Int32,
        SafetensorsDtype.F32 => torch.ScalarType.Float32,
        SafetensorsDtype.F64 => torch.ScalarType.Float64,
        SafetensorsDtype.I64 => torch.ScalarType.Int64,
        _ => null,
    };

    /// <summary>The safetensors spelling for a TorchSharp element type.</summary>
    /// <exception cref="ArgumentException">Complex and quantized types, which safetensors cannot hold.</exception>
    public static SafetensorsDtype FromScalarType(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Bool => SafetensorsDtype.BOOL,
        torch.ScalarType.Byte => SafetensorsDtype.U8,
        torch.ScalarType.Int8 => SafetensorsDtype.I8,
        torch.ScalarType.Int16 => SafetensorsDtype.I16,
        torch.ScalarType.Float16 => SafetensorsDtype.F16,
        torch.ScalarType.BFloat16 => SafetensorsDtype.BF16,
        torch.ScalarType.Int32 => SafetensorsDtype.I32,
        torch.ScalarType.Float32 => SafetensorsDtype.F32,
        torch.ScalarType.Float64 => SafetensorsDtype.F64,
        torch.ScalarType.Int64 => SafetensorsDtype.I64,
        _ => throw new ArgumentException($"Element type {type} cannot be stored in safetensors.", nameof(type)),
    };
}
