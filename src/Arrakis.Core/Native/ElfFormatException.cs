namespace Arrakis.Native;

/// <summary>
/// Thrown when a file given to <see cref="ElfVersionPatcher"/> is not a well-formed 64-bit little-endian
/// ELF shared object, or lacks a structure the patcher needs. The message names the file (when known) and
/// the offending structure.
/// </summary>
public sealed class ElfFormatException : Exception
{
    /// <summary>Creates the exception with a message that says what is wrong and where.</summary>
    public ElfFormatException(string message) : base(message) { }
}
