using System.Buffers.Binary;
using System.Text;

namespace Arrakis.Native;

/// <summary>
/// Reads and edits the symbol-version requirements (<c>.gnu.version_r</c>) of a 64-bit little-endian ELF
/// shared object, in memory. Used to make TorchSharp's <c>libLibTorchSharp.so</c>, built against GCC 13, load
/// on systems whose libstdc++ lacks <c>GLIBCXX_3.4.32</c>: the only symbol of that version it references is
/// the link-time anchor <c>std::ios_base_library_init()</c>, which nothing calls, so the requirement can be
/// marked weak (<c>VER_FLG_WEAK</c>) and glibc's loader then only warns when the version is absent.
/// </summary>
/// <remarks>
/// Every offset read from the file is bounds-checked: a truncated or malformed file raises
/// <see cref="ElfFormatException"/>, never an <see cref="IndexOutOfRangeException"/>.
/// Layouts follow the System V gABI and the LSB symbol-versioning specification.
/// </remarks>
public static class ElfVersionPatcher
{
    /// <summary><c>VER_FLG_WEAK</c>: a missing version definition is not fatal.</summary>
    public const ushort WeakFlag = 0x2;

    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;

    /// <summary>Lists every version requirement of the object, with the dynamic symbols bound to each.</summary>
    /// <param name="image">The whole file's bytes.</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <exception cref="ElfFormatException">The bytes are not a well-formed ELF64 little-endian object.</exception>
    public static IReadOnlyList<ElfVersionNeed> ReadVersionNeeds(ReadOnlySpan<byte> image, string? fileName = null)
    {
        var file = new ElfReader(image, fileName ?? "<memory>");
        var sections = file.ReadSectionHeaders();
        var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
        if (verneed is null)
            return [];

        var strings = file.Section(sections, (int)verneed.Link, "string table of .gnu.version_r");
        var symbolsByIndex = ReadSymbolsByVersionIndex(file, sections);

        var result = new List<ElfVersionNeed>();
        long need = verneed.Offset;
        for (uint i = 0; i < verneed.Info; i++)
        {
            file.Require(need, 16, "Elf64_Verneed entry", verneed.End);
            ushort count = file.U16(need + 2);
            string library = file.String(strings, file.U32(need + 4));
            long aux = need + file.U32(need + 8);
            for (int j = 0; j < count; j++)
            {
                file.Require(aux, 16, "Elf64_Vernaux entry", verneed.End);
                ushort flags = file.U16(aux + 4);
                ushort index = file.U16(aux + 6);
                string version = file.String(strings, file.U32(aux + 8));
                var symbols = symbolsByIndex.TryGetValue(index, out var names) ? names : [];
                result.Add(new ElfVersionNeed(library, version, flags, index, aux + 4, symbols));
                uint nextAux = file.U32(aux + 12);
                if (nextAux == 0 && j + 1 < count)
                    throw file.Error($"Elf64_Vernaux chain of '{library}' ends after {j + 1} of {count} entries");
                aux += nextAux;
            }
            uint next = file.U32(need + 12);
            if (next == 0 && i + 1 < verneed.Info)
                throw file.Error($"Elf64_Verneed chain ends after {i + 1} of {verneed.Info} entries");
            need += next;
        }
        return result;
    }

    /// <summary>
    /// Marks the requirement of <paramref name="version"/> weak, in place. Refuses when any dynamic symbol
    /// bound to that version is not in <paramref name="allowedSymbols"/>, since such a symbol would then
    /// resolve to an older, possibly incompatible definition.
    /// </summary>
    /// <param name="image">The whole file's bytes; edited in place (two bytes per matching entry).</param>
    /// <param name="version">Version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
    /// <param name="allowedSymbols">Symbols that may be bound to the version; <c>null</c> allows any.</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <returns>The number of entries changed (0 when already weak).</returns>
    /// <exception cref="ElfFormatException">The bytes are not a well-formed ELF64 little-endian object.</exception>
    /// <exception cref="ArgumentException">The object does not need <paramref name="version"/>.</exception>
    /// <exception cref="InvalidOperationException">A symbol outside <paramref name="allowedSymbols"/> uses the version.</exception>
    public static int MarkWeak(Span<byte> image, string version, IReadOnlySet<string>? allowedSymbols = null, string? fileName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        var needs = ReadVersionNeeds(image, fileName).Where(n => n.Version == version).ToList();
        if (needs.Count == 0)
            throw new ArgumentException(
                $"'{fileName ?? "<memory>"}' does not need symbol version '{version}'; nothing to mark weak.", nameof(version));

        var unsafeSymbols = needs.SelectMany(n => n.Symbols).Where(s => allowedSymbols is not null && !allowedSymbols.Contains(s)).ToList();
        if (unsafeSymbols.Count > 0)
            throw new InvalidOperationException(
                $"Refusing to mark '{version}' weak in '{fileName ?? "<memory>"}': symbols bound to it would silently bind to an " +
                $"older definition: {string.Join(", ", unsafeSymbols)}.");

        int changed = 0;
        foreach (var need in needs.Where(n => !n.IsWeak))
        {
            BinaryPrimitives.WriteUInt16LittleEndian(image.Slice((int)need.FlagsOffset, 2), (ushort)(need.Flags | WeakFlag));
            changed++;
        }
        return changed;
    }

    private static Dictionary<ushort, List<string>> ReadSymbolsByVersionIndex(ElfReader file, IReadOnlyList<ElfSection> sections)
    {
        var result = new Dictionary<ushort, List<string>>();
        var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
        if (versym is null || dynsym is null)
            return result;
        var strings = file.Section(sections, (int)dynsym.Link, "string table of .dynsym");
        long count = Math.Min(dynsym.Size / SymbolSize, versym.Size / 2);
        for (long i = 0; i < count; i++)
        {
            long sym = dynsym.Offset + i * SymbolSize;
            file.Require(sym, SymbolSize, "Elf64_Sym", dynsym.End);
            ushort index = (ushort)(file.U16(versym.Offset + i * 2) & 0x7fff);
            if (index < 2)
                continue; // 0 = local, 1 = global (unversioned)
            if (!result.TryGetValue(index, out var names))
                result[index] = names = [];
            names.Add(file.String(strings, file.U32(sym)));
        }
        return result;
    }

    private sealed record ElfSection(uint Type, long Offset, long Size, uint Link, uint Info)
    {
        public long End => Offset + Size;
    }

    /// <summary>Bounds-checked little-endian field access over the file's bytes.</summary>
    private readonly ref struct ElfReader(ReadOnlySpan<byte> bytes, string name)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public ElfFormatException Error(string what) => new($"'{name}' is not a usable ELF shared object: {what}.");

        public void Require(long offset, long length, string what, long limit = long.MaxValue)
        {
            if (offset < 0 || length < 0 || offset > _bytes.Length - length || offset + length > limit)
                throw Error($"{what} at offset {offset} (+{length} bytes) lies outside the file ({_bytes.Length} bytes) or its section");
        }

        public ushort U16(long offset) { Require(offset, 2, "field"); return BinaryPrimitives.ReadUInt16LittleEndian(_bytes.Slice((int)offset, 2)); }
        public uint U32(long offset) { Require(offset, 4, "field"); return BinaryPrimitives.ReadUInt32LittleEndian(_bytes.Slice((int)offset, 4)); }
        public long U64(long offset)
        {
            Require(offset, 8, "field");
            ulong value = BinaryPrimitives.ReadUInt64LittleEndian(_bytes.Slice((int)offset, 8));
            if (value > int.MaxValue)
                throw Error($"64-bit field at offset {offset} has value {value}, larger than any supported file");
            return (long)value;
        }

        public string String(ElfSection table, uint offset)
        {
            if (offset >= table.Size)
                throw Error($"string offset {offset} beyond its string table ({table.Size} bytes)");
            Require(table.Offset, table.Size, "string table");
            var rest = _bytes.Slice((int)(table.Offset + offset), (int)(table.Size - offset));
            int end = rest.IndexOf((byte)0);
            if (end < 0)
                throw Error($"unterminated string at offset {offset} of its string table");
            return Encoding.UTF8.GetString(rest[..end]);
        }

        public ElfSection Section(IReadOnlyList<ElfSection> sections, int index, string what)
        {
            if (index <= 0 || index >= sections.Count)
                throw Error($"{what} refers to section {index}, but the file has {sections.Count} sections");
            return sections[index];
        }

        public IReadOnlyList<ElfSection> ReadSectionHeaders()
        {
            if (_bytes.Length < 64)
                throw Error($"file is {_bytes.Length} bytes, shorter than an ELF64 header (64 bytes)");
            if (_bytes[0] != 0x7f || _bytes[1] != (byte)'E' || _bytes[2] != (byte)'L' || _bytes[3] != (byte)'F')
                throw Error("missing the ELF magic number 7f 45 4c 46");
            if (_bytes[4] != 2)
                throw Error($"ELF class {_bytes[4]} is not ELFCLASS64 (2)");
            if (_bytes[5] != 1)
                throw Error($"data encoding {_bytes[5]} is not little-endian (1)");

            long shoff = U64(0x28);
            ushort shentsize = U16(0x3A);
            ushort shnum = U16(0x3C);
            if (shoff == 0 || shnum == 0)
                throw Error("it has no section header table");
            if (shentsize != SectionHeaderSize)
                throw Error($"section header size is {shentsize}, expected {SectionHeaderSize}");
            Require(shoff, (long)shnum * SectionHeaderSize, "section header table");

            var sections = new List<ElfSection>(shnum);
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * SectionHeaderSize;
                uint type = U32(h + 4);
                long offset = U64(h + 0x18);
                long size = U64(h + 0x20);
                var section = new ElfSection(type, offset, size, U32(h + 0x28), U32(h + 0x2C));
                if (type is ShtGnuVerneed or ShtGnuVersym or ShtDynsym)
                    Require(offset, size, $"section {i} (type 0x{type:x})");
                sections.Add(section);
            }
            return sections;
        }
    }
}
