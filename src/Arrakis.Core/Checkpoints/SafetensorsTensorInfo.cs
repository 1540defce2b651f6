using TorchSharp;

namespace Arrakis.Checkpoints;

/// <summary>One tensor's header entry, validated: the shape fits the dtype and the byte range lies inside the data region.</summary>
public sealed class SafetensorsTensorInfo
{
    internal SafetensorsTensorInfo(string name, SafetensorsDtype dtype, long[] shape, long elementCount, long begin, long end)
    {
        Name = name;
        Dtype = dtype;
        _shape = shape;
        ElementCount = elementCount;
        DataBegin = begin;
        DataEnd = end;
    }

    private readonly long[] _shape;

    /// <summary>The tensor's name (the header key).</summary>
    public string Name { get; }

    /// <summary>The element type as the file names it.</summary>
    public SafetensorsDtype Dtype { get; }

    /// <summary>The shape; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>A copy of the shape, for TorchSharp calls that take <c>long[]</c>.</summary>
    public long[] ShapeArray() => (long[])_shape.Clone();

    /// <summary>The product of the shape (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Start of the tensor's bytes, relative to the start of the data region.</summary>
    public long DataBegin { get; }

    /// <summary>End (exclusive) of the tensor's bytes, relative to the start of the data region.</summary>
    public long DataEnd { get; }

    /// <summary>Bytes the tensor occupies in the file.</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>The TorchSharp element type, or null when TorchSharp has none (U16, U32, U64, F8_*).</summary>
    public torch.ScalarType? ScalarType => SafetensorsDtypes.ToScalarType(Dtype);

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Dtype}[{string.Join(", ", _shape)}]";
}
