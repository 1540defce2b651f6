using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Arrakis.Scripting;

/// <summary>
/// The compiled-script cache: <c>{dir}/{key}.dll</c>, <c>.pdb</c> and <c>.json</c>, keyed by SHA-256 over the script's
/// path and text, every file it <c>#load</c>s (recursively), every assembly it <c>#r</c>s (path, size, write time) and
/// the host version (the Arrakis and Roslyn assemblies' module version ids, the default imports and references). A
/// re-run of an unchanged script reads the cache and never starts the compiler. Old entries are pruned beyond
/// <see cref="MaxEntries"/>.
/// </summary>
internal sealed partial class ScriptCache(string directory)
{
    public const int MaxEntries = 256;

    public string Directory { get; } = directory;

    /// <summary>The default folder: <c>$ARRAKIS_SCRIPT_CACHE</c>, else <c>$XDG_CACHE_HOME/arrakis/scripts</c>, else <c>~/.cache/arrakis/scripts</c>.</summary>
    public static string DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("ARRAKIS_SCRIPT_CACHE") is { Length: > 0 } explicitDir) return explicitDir;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "arrakis", "scripts");
    }

    [GeneratedRegex("""^\s*#(load|r)\s+"([^"]*)"\s*$""", RegexOptions.Multiline)]
    private static partial Regex DirectivePattern();

    /// <summary>The key for a script file (read from disk), and the <c>#r</c> paths found on the way.</summary>
    public static (string Key, List<string> References) ComputeKey(string path, string text, string hostVersion)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(s));
            hash.AppendData([0]);
        }
        Add(hostVersion);
        var references = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Visit(string file, string content)
        {
            if (!seen.Add(file)) return;
            Add("file:" + file);
            Add(content);
            string dir = Path.GetDirectoryName(file) ?? ".";
            foreach (Match m in DirectivePattern().Matches(content))
            {
                string kind = m.Groups[1].Value, target = m.Groups[2].Value;
                string resolved = Path.GetFullPath(Path.Combine(dir, target));
                if (kind == "load")
                {
                    Add("load:" + target);
                    Visit(resolved, File.Exists(resolved) ? File.ReadAllText(resolved) : "<missing>");
                }
                else
                {
                    var info = new FileInfo(resolved);
                    Add($"r:{target}:{resolved}:{(info.Exists ? $"{info.Length}:{info.LastWriteTimeUtc.Ticks}" : "<missing>")}");
                    if (info.Exists) references.Add(resolved);
                }
            }
        }
        Visit(path, text);
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), references);
    }

    public CompiledScript? TryLoad(string path, string text, string key, TimeSpan elapsed)
    {
        try
        {
            string dll = Path.Combine(Directory, key + ".dll"), json = Path.Combine(Directory, key + ".json");
            if (!File.Exists(dll) || !File.Exists(json)) return null;
            var meta = JsonSerializer.Deserialize(File.ReadAllText(json), ScriptCacheJson.Default.CacheEntry);
            if (meta is null) return null;
            string pdbPath = Path.Combine(Directory, key + ".pdb");
            byte[]? pdb = File.Exists(pdbPath) ? File.ReadAllBytes(pdbPath) : null;
            File.SetLastWriteTimeUtc(json, DateTime.UtcNow); // most recently used survives pruning
            return new CompiledScript(path, File.ReadAllBytes(dll), pdb, meta.EntryType, meta.EntryMethod, meta.References, key, fromCache: true, elapsed, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null; // a broken entry is recompiled and rewritten
        }
    }

    public void Store(CompiledScript script)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            Write(script.CacheKey + ".dll", script.Image);
            if (script.Pdb is not null) Write(script.CacheKey + ".pdb", script.Pdb);
            var meta = new CacheEntry(script.EntryType, script.EntryMethod, script.DirectiveReferences.ToList());
            Write(script.CacheKey + ".json", JsonSerializer.SerializeToUtf8Bytes(meta, ScriptCacheJson.Default.CacheEntry)); // last: marks the entry complete
            Prune();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The cache is an optimisation: an unwritable cache folder only costs the next run a compilation.
        }
    }

    private void Write(string name, byte[] bytes)
    {
        string target = Path.Combine(Directory, name);
        string temp = target + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, target, overwrite: true);
    }

    private void Prune()
    {
        var entries = new DirectoryInfo(Directory).GetFiles("*.json");
        if (entries.Length <= MaxEntries) return;
        foreach (var old in entries.OrderByDescending(f => f.LastWriteTimeUtc).Skip(MaxEntries))
        {
            string key = Path.GetFileNameWithoutExtension(old.Name);
            foreach (string ext in new[] { ".json", ".dll", ".pdb" })
            {
                try { File.Delete(Path.Combine(Directory, key + ext)); }
                catch (IOException) { }
            }
        }
    }

    /// <summary>The host part of the key: what the compiled assembly depends on besides the script's own files.</summary>
    public static string HostVersion(IEnumerable<Assembly> referenced, IEnumerable<string> tools, IEnumerable<string> imports)
    {
        var sb = new StringBuilder("arrakis-script-cache/1;").Append(ArrakisVersion.Product).Append(';');
        foreach (string t in tools) sb.Append(t).Append(';');
        foreach (Assembly a in referenced.Distinct().OrderBy(a => a.FullName, StringComparer.Ordinal))
            sb.Append(a.GetName().Name).Append('=').Append(a.ManifestModule.ModuleVersionId).Append(';');
        foreach (string i in imports) sb.Append("using ").Append(i).Append(';');
        return sb.ToString();
    }

    internal sealed record CacheEntry(string EntryType, string EntryMethod, List<string> References);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(ScriptCache.CacheEntry))]
internal sealed partial class ScriptCacheJson : System.Text.Json.Serialization.JsonSerializerContext;
