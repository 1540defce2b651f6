using System.Buffers.Binary;
using System.Text;

namespace Arrakis.Tests.Checkpoints;

/// <summary>Builds raw safetensors bytes by hand, so tests control every byte a writer would get right.</summary>
internal static class SafetensorsBytes
{
    public static byte[] Build(string headerJson, int dataLength, byte fill = 0)
        => Build(Encoding.UTF8.GetBytes(headerJson), dataLength, fill);

    public static byte[] Build(byte[] header, int dataLength, byte fill = 0)
    {
        var bytes = new byte[8 + header.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length).Fill(fill);
        return bytes;
    }

    public static byte[] WithDeclaredLength(ulong declared, byte[] rest)
    {
        var bytes = new byte[8 + rest.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declared);
        rest.CopyTo(bytes, 8);
        return bytes;
    }
}
