using System.Reflection;
using System.Runtime.Loader;

namespace Arrakis.Bench.Plugins;

/// <summary>
/// Tool contract assemblies shipped in plugin folders, loaded once into the host's default load context so that
/// the host and every plugin (every build of it) see the same contract types. A contract the host was compiled
/// against is taken from the host. Contracts never unload: a changed contract needs a host restart.
/// </summary>
internal static class SharedContracts
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, (Assembly Assembly, Guid Mvid, string Origin)> Loaded = new(StringComparer.Ordinal);

    static SharedContracts()
    {
        // Names of contracts loaded from a stream are found by the default context's binder; this is the fallback
        // for a contract that references another contract shipped beside it.
        AssemblyLoadContext.Default.Resolving += (_, name) =>
        {
            lock (Gate) return name.Name is { } n && Loaded.TryGetValue(n, out var entry) ? entry.Assembly : null;
        };
    }

    /// <summary>
    /// Makes the contract assembly at <paramref name="path"/> (described by <paramref name="facts"/>) available from
    /// the default context.
    /// </summary>
    /// <returns>A warning, or null.</returns>
    /// <exception cref="ContractChangedException">A different build of this contract is already loaded from a plugin folder.</exception>
    public static string? Share(string path, byte[] image, AssemblyFacts facts)
    {
        lock (Gate)
        {
            if (Loaded.TryGetValue(facts.Name, out var entry))
            {
                if (entry.Mvid == facts.Mvid) return null;
                throw new ContractChangedException(
                    $"contract assembly {facts.Name} at '{path}' (build {facts.Mvid.ToString("N")[..8]}) differs from the one loaded from " +
                    $"'{entry.Origin}' (build {entry.Mvid.ToString("N")[..8]}); contracts cannot be reloaded — restart the host to use the new contract");
            }

            var hostCopy = AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a => a.GetName().Name == facts.Name)
                           ?? TryLoadFromHost(facts.Name);
            if (hostCopy is not null)
            {
                var mvid = hostCopy.ManifestModule.ModuleVersionId;
                Loaded[facts.Name] = (hostCopy, mvid, "the host");
                return mvid == facts.Mvid ? null
                    : $"contract assembly {facts.Name} in the plugin folder differs from the host's copy; the host's is used";
            }

            // From memory, so the file is not locked and can be rebuilt in place.
            var assembly = AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(image));
            Loaded[facts.Name] = (assembly, facts.Mvid, path);
            return null;
        }
    }

    private static Assembly? TryLoadFromHost(string name)
    {
        // Only the host's own assemblies (its deps.json / trusted platform assemblies) count.
        var tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (var file in tpa.Split(Path.PathSeparator))
        {
            if (string.Equals(Path.GetFileNameWithoutExtension(file), name, StringComparison.Ordinal))
            {
                try { return AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(name)); }
                catch (IOException) { return null; }
            }
        }
        return null;
    }
}

/// <summary>A rebuilt contract assembly differs from the loaded one.</summary>
internal sealed class ContractChangedException(string message) : Exception(message);
