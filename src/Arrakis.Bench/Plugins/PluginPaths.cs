using System.Text.Json;

namespace Arrakis.Bench.Plugins;

/// <summary>A path that resolves outside the folder it must stay in.</summary>
internal sealed class UnsafePathException(string message) : Exception(message);

/// <summary>Symlink-resolving path checks: plugin folders stay inside their root, plugin assemblies inside their folder.</summary>
internal static class PluginPaths
{
    private const int MaxLinkDepth = 40;

    /// <summary>The path with every symbolic link along it resolved (like realpath(3)); parts that do not exist are kept as written.</summary>
    public static string RealPath(string path) => RealPath(Path.GetFullPath(path), 0);

    private static string RealPath(string full, int depth)
    {
        if (depth > MaxLinkDepth) throw new IOException($"too many levels of symbolic links resolving '{full}'");
        var root = Path.GetPathRoot(full)!;
        var current = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = new FileInfo(next);
            if (!info.Exists) info = new DirectoryInfo(next);
            if (info.Exists && info.LinkTarget is { } target)
            {
                var resolved = Path.GetFullPath(target, current);
                next = RealPath(resolved, depth + 1);
            }
            else if (!info.Exists)
            {
                // Nothing further can be a link: append the rest as written.
                return Path.Combine([next, .. parts[(i + 1)..]]);
            }
            current = next;
        }
        return current;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or inside it (both already real paths).</summary>
    public static bool IsInside(string path, string folder)
    {
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var prefix = Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, comparison);
    }

    /// <summary>
    /// The plugin assembly of a plugin folder: the manifest's <c>assembly</c>, or <c>&lt;folder name&gt;.dll</c>.
    /// Returns the path as written inside <paramref name="pluginFolder"/> (so the file watcher's paths match it);
    /// its real path must lie inside the folder's real path.
    /// </summary>
    /// <exception cref="UnsafePathException">The assembly resolves outside the plugin folder.</exception>
    /// <exception cref="InvalidDataException">The manifest is not valid.</exception>
    public static string MainAssembly(string pluginFolder, string realPluginFolder)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(pluginFolder));
        var relative = name + ".dll";
        var manifest = Path.Combine(pluginFolder, PluginHostOptions.ManifestFileName);
        if (File.Exists(manifest))
        {
            string? declared;
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllText(manifest));
                declared = document.RootElement.TryGetProperty("assembly", out var value) ? value.GetString() : null;
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{PluginHostOptions.ManifestFileName} is not valid JSON: {e.Message}");
            }
            if (string.IsNullOrWhiteSpace(declared))
                throw new InvalidDataException($"{PluginHostOptions.ManifestFileName} has no \"assembly\" string");
            relative = declared;
        }

        if (Path.IsPathRooted(relative))
            throw new UnsafePathException($"the assembly '{relative}' is an absolute path; it must be relative to the plugin folder");
        var assembly = Path.GetFullPath(Path.Combine(pluginFolder, relative));
        var real = RealPath(Path.Combine(realPluginFolder, relative));
        if (!IsInside(assembly, Path.GetFullPath(pluginFolder)) || !IsInside(real, realPluginFolder))
            throw new UnsafePathException($"the assembly '{relative}' resolves to '{real}', outside the plugin folder '{realPluginFolder}'");
        return assembly;
    }
}
