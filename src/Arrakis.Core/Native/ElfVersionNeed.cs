namespace Arrakis.Native;

/// <summary>
/// One <c>Elf64_Vernaux</c> entry of an ELF object's <c>.gnu.version_r</c> section: a symbol version
/// (e.g. <c>GLIBCXX_3.4.32</c>) that the object needs from a library (e.g. <c>libstdc++.so.6</c>).
/// </summary>
/// <param name="Library">The needed library's file name (<c>vn_file</c>).</param>
/// <param name="Version">The version name (<c>vna_name</c>).</param>
/// <param name="Flags">The entry's flags (<c>vna_flags</c>); <see cref="ElfVersionPatcher.WeakFlag"/> marks it weak.</param>
/// <param name="Index">The version index symbols use to refer to it (<c>vna_other</c>).</param>
/// <param name="FlagsOffset">File offset of the two-byte <c>vna_flags</c> field.</param>
/// <param name="Symbols">Names of the dynamic symbols bound to this version (from <c>.gnu.version</c>).</param>
public sealed record ElfVersionNeed(
    string Library,
    string Version,
    ushort Flags,
    ushort Index,
    long FlagsOffset,
    IReadOnlyList<string> Symbols)
{
    /// <summary>Whether the dynamic loader treats a missing definition of this version as a warning only.</summary>
    public bool IsWeak => (Flags & ElfVersionPatcher.WeakFlag) != 0;
}
