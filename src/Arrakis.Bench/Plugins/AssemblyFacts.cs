using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Arrakis.Bench.Plugins;

/// <summary>
/// What the host needs to know about an assembly file before any of its code runs, read from its metadata with
/// System.Reflection.Metadata (nothing is loaded): its identity and build id, the plugin API it declares, the tool
/// contracts it declares and the assemblies it references.
/// </summary>
internal sealed record AssemblyFacts(
    string Name,
    Version Version,
    string? InformationalVersion,
    Guid Mvid,
    Version? PluginApi,
    IReadOnlyList<string> ToolContracts,
    IReadOnlyList<AssemblyName> References)
{
    /// <summary>Reads an assembly image.</summary>
    /// <exception cref="BadImageFormatException">Not a complete .NET assembly (not a PE file, no metadata,
    /// a module without a manifest, or a file cut short — e.g. still being written).</exception>
    public static AssemblyFacts Read(byte[] image)
    {
        try
        {
            // First the file's length against its section table: PEReader rejects a file cut short with a message
            // that does not say so, and a half-written file is what a reload most often sees.
            if (ImageEnd(image) is { } end && end > image.Length)
                throw new BadImageFormatException($"the file is cut short ({image.Length} of {end} bytes) — still being written?");
            using var pe = new PEReader(ImmutableArray.Create(image));
            if (!pe.HasMetadata) throw new BadImageFormatException("a native (non-.NET) binary: it has no .NET metadata");
            var md = pe.GetMetadataReader();
            if (!md.IsAssembly) throw new BadImageFormatException("a .NET module without an assembly manifest");

            var definition = md.GetAssemblyDefinition();
            Version? api = null;
            string? informational = null;
            foreach (var handle in definition.GetCustomAttributes())
            {
                var attribute = md.GetCustomAttribute(handle);
                var (ns, name) = AttributeTypeName(md, attribute);
                if (ns == "Arrakis" && name == "PluginApiAttribute")
                {
                    var blob = md.GetBlobReader(attribute.Value);
                    if (blob.ReadUInt16() == 1) api = new Version(blob.ReadInt32(), blob.ReadInt32());
                }
                else if (ns == "System.Reflection" && name == "AssemblyInformationalVersionAttribute")
                {
                    var blob = md.GetBlobReader(attribute.Value);
                    if (blob.ReadUInt16() == 1) informational = blob.ReadSerializedString();
                }
            }

            var contracts = new List<string>();
            foreach (var typeHandle in md.TypeDefinitions)
            {
                var type = md.GetTypeDefinition(typeHandle);
                if ((type.Attributes & TypeAttributes.Interface) == 0) continue;
                foreach (var handle in type.GetCustomAttributes())
                {
                    if (AttributeTypeName(md, md.GetCustomAttribute(handle)) is ("Arrakis", "ToolAttribute"))
                    {
                        var ns = md.GetString(type.Namespace);
                        contracts.Add(ns.Length == 0 ? md.GetString(type.Name) : ns + "." + md.GetString(type.Name));
                    }
                }
            }

            var references = md.AssemblyReferences.Select(h => md.GetAssemblyReference(h).GetAssemblyName()).ToArray();
            return new AssemblyFacts(
                md.GetString(definition.Name), definition.Version, informational,
                md.GetGuid(md.GetModuleDefinition().Mvid), api, contracts, references);
        }
        catch (BadImageFormatException) { throw; }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            throw new BadImageFormatException($"not a readable .NET assembly ({e.Message})", e);
        }
    }

    /// <summary>The module version id of the assembly at <paramref name="path"/> (reads only its headers and
    /// metadata tables), or null when it is not a readable .NET assembly.</summary>
    public static Guid? TryReadMvid(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata) return null;
            var md = pe.GetMetadataReader();
            return md.GetGuid(md.GetModuleDefinition().Mvid);
        }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Where the last section of a PE image ends, from its headers; null when the headers are not those of a PE file.</summary>
    private static long? ImageEnd(byte[] image)
    {
        var span = image.AsSpan();
        if (span.Length < 0x40 || span[0] != 'M' || span[1] != 'Z') return null;
        var pe = BinaryPrimitives.ReadInt32LittleEndian(span[0x3C..]);
        if (pe < 0 || pe + 24 > span.Length || !span.Slice(pe, 4).SequenceEqual("PE\0\0"u8)) return null;
        int sections = BinaryPrimitives.ReadUInt16LittleEndian(span[(pe + 6)..]);
        int optionalHeader = BinaryPrimitives.ReadUInt16LittleEndian(span[(pe + 20)..]);
        long table = pe + 24L + optionalHeader;
        long end = table + 40L * sections;
        for (var i = 0; i < sections && table + 40L * (i + 1) <= span.Length; i++)
        {
            var section = span.Slice((int)(table + 40L * i), 40);
            end = Math.Max(end, (long)BinaryPrimitives.ReadUInt32LittleEndian(section[20..]) + BinaryPrimitives.ReadUInt32LittleEndian(section[16..]));
        }
        return end;
    }

    private static (string Namespace, string Name) AttributeTypeName(MetadataReader md, CustomAttribute attribute)
    {
        switch (attribute.Constructor.Kind)
        {
            case HandleKind.MemberReference:
                var parent = md.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
                if (parent.Kind == HandleKind.TypeReference)
                {
                    var reference = md.GetTypeReference((TypeReferenceHandle)parent);
                    return (md.GetString(reference.Namespace), md.GetString(reference.Name));
                }
                return ("", "");
            case HandleKind.MethodDefinition:
                var declaring = md.GetTypeDefinition(md.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType());
                return (md.GetString(declaring.Namespace), md.GetString(declaring.Name));
            default:
                return ("", "");
        }
    }
}
