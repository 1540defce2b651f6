using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Arrakis.Scripting;

/// <summary>
/// Resolves <c>#r</c> paths and the assemblies that referenced assemblies need (script compilations resolve those
/// automatically), creating each file's metadata once per process. Roslyn's own resolver
/// (<c>ScriptMetadataResolver</c>) reads every such file again for every compilation, into native memory that is never
/// given back: with TorchSharp referenced that grew the process by about 3.5 MB per compilation, so a REPL or a host
/// running many scripts grew without bound.
/// </summary>
internal sealed class CachingMetadataResolver(string baseDirectory) : MetadataReferenceResolver
{
    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written, MetadataReferenceProperties Properties), PortableExecutableReference> Files = new();

    /// <summary>Simple name → path of the runtime's and the application's assemblies (what the host itself can load).</summary>
    private static readonly Lazy<Dictionary<string, string>> Known = new(() =>
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (string path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            map.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        foreach (string path in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll"))
            map.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        return map;
    });

    public string BaseDirectory { get; } = baseDirectory;

    public override bool ResolveMissingAssemblies => true;

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
    {
        string? directory = baseFilePath is null ? BaseDirectory : Path.GetDirectoryName(baseFilePath) ?? BaseDirectory;
        string candidate = Path.GetFullPath(Path.Combine(directory, reference));
        if (File.Exists(candidate)) return [Cached(candidate, properties)];
        // #r "System.Net.Http" and friends: a name the runtime knows.
        string name = reference.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? reference[..^4] : reference;
        return Known.Value.TryGetValue(name, out string? known) ? [Cached(known, properties)] : [];
    }

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity)
    {
        // Beside the assembly that needs it (a #r'd assembly's dependencies), then the runtime and the application.
        if (definition is PortableExecutableReference { FilePath: string from } && Path.GetDirectoryName(from) is string dir)
        {
            string beside = Path.Combine(dir, referenceIdentity.Name + ".dll");
            if (File.Exists(beside)) return Cached(beside, MetadataReferenceProperties.Assembly);
        }
        return Known.Value.TryGetValue(referenceIdentity.Name, out string? path) ? Cached(path, MetadataReferenceProperties.Assembly) : null;
    }

    private static PortableExecutableReference Cached(string path, MetadataReferenceProperties properties)
    {
        var info = new FileInfo(path);
        return Files.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc, properties),
            key => MetadataReference.CreateFromFile(key.Path, key.Properties));
    }

    public override bool Equals(object? other) => other is CachingMetadataResolver o && o.BaseDirectory == BaseDirectory;

    public override int GetHashCode() => BaseDirectory.GetHashCode(StringComparison.Ordinal);
}
