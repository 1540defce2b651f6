using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Arrakis.Native;

/// <summary>
/// The dynamic symbols of a 64-bit little-endian ELF shared object: what it imports from unversioned libraries
/// (libtorch exports no symbol versions, libc and libstdc++ do) and what it exports. Reads only the section headers,
/// <c>.dynsym</c>, its string table and <c>.gnu.version</c>, so a 1 GB <c>libtorch_cuda.so</c> costs a few megabytes.
/// </summary>
/// <param name="Imports">Undefined, non-weak, global symbols with no version requirement: for <c>libLibTorchSharp.so</c>, what libtorch must export (1,204 for TorchSharp 0.107).</param>
/// <param name="Exports">Defined global or weak symbols with default or protected visibility.</param>
public sealed record ElfDynamicSymbols(IReadOnlySet<string> Imports, IReadOnlySet<string> Exports)
{
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const int SymbolSize = 24;
    private const int SectionHeaderSize = 64;

    /// <summary>Reads the dynamic symbol table of <paramref name="path"/>.</summary>
    /// <exception cref="ElfFormatException">Not a well-formed ELF64 little-endian object.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ElfDynamicSymbols Read(string path)
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = RandomAccess.GetLength(file);
        ElfFormatException Error(string what) => new($"'{path}' is not a usable ELF shared object: {what}.");
        byte[] ReadAt(long offset, long count, string what)
        {
            if (offset < 0 || count < 0 || offset > length - count || count > int.MaxValue)
                throw Error($"{what} at offset {offset} (+{count} bytes) lies outside the file ({length} bytes)");
            var buffer = new byte[count];
            int done = 0;
            while (done < count)
            {
                int n = RandomAccess.Read(file, buffer.AsSpan(done), offset + done);
                if (n == 0)
                    throw Error($"{what} ends early");
                done += n;
            }
            return buffer;
        }

        byte[] header = ReadAt(0, 64, "ELF header");
        if (header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
            throw Error("missing the ELF magic number 7f 45 4c 46");
        if (header[4] != 2 || header[5] != 1)
            throw Error("not a 64-bit little-endian object");
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(0x28));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3C));
        if (BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3A)) != SectionHeaderSize || shnum == 0)
            throw Error("no usable section header table");
        byte[] sectionTable = ReadAt(shoff, (long)shnum * SectionHeaderSize, "section header table");
        (uint Type, long Offset, long Size, uint Link) Section(int i)
        {
            var h = sectionTable.AsSpan(i * SectionHeaderSize, SectionHeaderSize);
            return (BinaryPrimitives.ReadUInt32LittleEndian(h[4..]), (long)BinaryPrimitives.ReadUInt64LittleEndian(h[0x18..]),
                (long)BinaryPrimitives.ReadUInt64LittleEndian(h[0x20..]), BinaryPrimitives.ReadUInt32LittleEndian(h[0x28..]));
        }

        int dynsymIndex = -1, versymIndex = -1;
        for (int i = 0; i < shnum; i++)
        {
            uint type = Section(i).Type;
            if (type == ShtDynsym) dynsymIndex = i;
            else if (type == ShtGnuVersym) versymIndex = i;
        }
        if (dynsymIndex < 0)
            throw Error("it has no .dynsym section");
        var dynsym = Section(dynsymIndex);
        if (dynsym.Link == 0 || dynsym.Link >= shnum)
            throw Error($".dynsym links to section {dynsym.Link}, but the file has {shnum} sections");
        var strtab = Section((int)dynsym.Link);
        byte[] symbols = ReadAt(dynsym.Offset, dynsym.Size, ".dynsym");
        byte[] strings = ReadAt(strtab.Offset, strtab.Size, ".dynstr");
        byte[]? versions = versymIndex < 0 ? null : ReadAt(Section(versymIndex).Offset, Section(versymIndex).Size, ".gnu.version");

        var imports = new HashSet<string>(StringComparer.Ordinal);
        var exports = new HashSet<string>(StringComparer.Ordinal);
        long count = dynsym.Size / SymbolSize;
        for (int i = 1; i < count; i++)
        {
            var sym = symbols.AsSpan(i * SymbolSize, SymbolSize);
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(sym);
            byte info = sym[4];
            byte visibility = (byte)(sym[5] & 0x3);
            ushort sectionIndex = BinaryPrimitives.ReadUInt16LittleEndian(sym[6..]);
            int binding = info >> 4;                                    // 0 local, 1 global, 2 weak
            if (nameOffset >= strings.Length)
                throw Error($"symbol {i} names string offset {nameOffset}, beyond .dynstr ({strings.Length} bytes)");
            int end = Array.IndexOf(strings, (byte)0, (int)nameOffset);
            if (end < 0)
                throw Error($"symbol {i} has an unterminated name");
            if (end == nameOffset)
                continue;
            string name = Encoding.UTF8.GetString(strings, (int)nameOffset, end - (int)nameOffset);
            int version = versions is not null && (i * 2 + 2) <= versions.Length ? BinaryPrimitives.ReadUInt16LittleEndian(versions.AsSpan(i * 2)) & 0x7fff : 1;
            if (sectionIndex == 0)
            {
                if (binding == 1 && version <= 1)
                    imports.Add(name);
            }
            else if (binding is 1 or 2 && visibility is 0 or 3)
                exports.Add(name);
        }
        return new ElfDynamicSymbols(imports, exports);
    }
}
