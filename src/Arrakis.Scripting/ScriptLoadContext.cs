using System.Reflection;
using System.Runtime.Loader;

namespace Arrakis.Scripting;

/// <summary>
/// A collectible load context for one script run (or one REPL session's chain of submissions): unloaded when the run
/// ends, so a long session that runs many scripts does not keep every compiled assembly. Host assemblies (Arrakis,
/// TorchSharp, the plugins' shared contracts) come from the default context, so a script's types are the host's types.
/// </summary>
internal sealed class ScriptLoadContext : AssemblyLoadContext
{
    private readonly IReadOnlyList<string> _probeDirectories;

    public ScriptLoadContext(string name, IEnumerable<string> directiveReferences)
        : base($"arrakis-script:{name}", isCollectible: true)
    {
        _probeDirectories = directiveReferences.Select(Path.GetDirectoryName).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Loads one compiled submission (with its portable PDB, so stack traces carry script line numbers).</summary>
    public Assembly LoadSubmission(byte[] image, byte[]? pdb)
    {
        using var pe = new MemoryStream(image, writable: false);
        using var symbols = pdb is null ? null : new MemoryStream(pdb, writable: false);
        return LoadFromStream(pe, symbols);
    }

    /// <summary>
    /// <c>#r</c> assemblies go to the default context (so their types are shared with plugins and the host); called
    /// before a run.
    /// </summary>
    public static void LoadDirectiveReferences(IEnumerable<string> paths)
    {
        foreach (string path in paths)
        {
            if (!File.Exists(path)) continue;
            AssemblyName name = AssemblyName.GetAssemblyName(path);
            if (Default.Assemblies.Any(a => AssemblyName.ReferenceMatchesDefinition(name, a.GetName()))) continue;
            Default.LoadFromAssemblyPath(Path.GetFullPath(path));
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // Earlier REPL submissions live here. Looked up, never stored: a field holding an Assembly of this context
        // would keep the context from ever unloading.
        if (Assemblies.FirstOrDefault(a => a.GetName().Name == assemblyName.Name) is Assembly submission) return submission;
        // Dependencies of #r assemblies that sit beside them.
        foreach (string directory in _probeDirectories)
        {
            string candidate = Path.Combine(directory, assemblyName.Name + ".dll");
            if (File.Exists(candidate))
            {
                Assembly? loaded = Default.Assemblies.FirstOrDefault(a => a.GetName().Name == assemblyName.Name);
                return loaded ?? Default.LoadFromAssemblyPath(candidate);
            }
        }
        return null; // the default context: the host's assemblies
    }
}
