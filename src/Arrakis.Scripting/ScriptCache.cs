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
/// <remarks>
/// <para><b>Integrity.</b> The cache runs only what it wrote for that key: each entry's <c>.json</c> carries an
/// HMAC-SHA256, under a per-user secret (<c>{dir}/.secret</c>, 32 random bytes, mode 0600), of the key, the entry
/// point, the <c>#r</c> list and the SHA-256 of the <c>.dll</c> and <c>.pdb</c>. An entry whose files were swapped,
/// copied from another key or edited fails the check on load: it is deleted, a warning is printed, and the script is
/// compiled again. The folder is created private to the user (0700; an existing folder that others can enter is made
/// 0700, and if that fails the cache is not used).</para>
/// </remarks>
internal sealed partial class ScriptCache(string directory, Action<string>? warn = null)
{
    public const int MaxEntries = 256;
    private const string SecretFile = ".secret";
    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly Action<string> _warn = warn ?? (message => Console.Error.WriteLine($"arrakis: warning: {message}"));
    private byte[]? _secret;

    public string Directory { get; } = directory;

    /// <summary>How many entries failed their integrity check and were recompiled (for tests and <c>--timings</c>).</summary>
    public int Rejected { get; private set; }

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
            if (Secret(create: false) is not { } secret) return null;
            var meta = JsonSerializer.Deserialize(File.ReadAllText(json), ScriptCacheJson.Default.CacheEntry);
            if (meta is null) return null;
            string pdbPath = Path.Combine(Directory, key + ".pdb");
            byte[]? pdb = File.Exists(pdbPath) ? File.ReadAllBytes(pdbPath) : null;
            byte[] image = File.ReadAllBytes(dll);
            if (meta.Mac is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(meta.Mac), Mac(secret, key, meta, image, pdb)))
            {
                Rejected++;
                _warn($"the compiled-script cache entry {key} in {Directory} failed its integrity check (its files do not match what " +
                    "this user's host wrote for that key); it was deleted and the script is compiled again.");
                Delete(key);
                return null;
            }
            File.SetLastWriteTimeUtc(json, DateTime.UtcNow); // most recently used survives pruning
            return new CompiledScript(path, image, pdb, meta.EntryType, meta.EntryMethod, meta.References, key, fromCache: true, elapsed, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException)
        {
            return null; // a broken entry is recompiled and rewritten
        }
    }

    public void Store(CompiledScript script)
    {
        try
        {
            if (Secret(create: true) is not { } secret) return;
            var meta = new CacheEntry(script.EntryType, script.EntryMethod, script.DirectiveReferences.ToList(), null);
            meta = meta with { Mac = Convert.ToHexStringLower(Mac(secret, script.CacheKey, meta, script.Image, script.Pdb)) };
            Write(script.CacheKey + ".dll", script.Image);
            if (script.Pdb is not null) Write(script.CacheKey + ".pdb", script.Pdb);
            Write(script.CacheKey + ".json", JsonSerializer.SerializeToUtf8Bytes(meta, ScriptCacheJson.Default.CacheEntry)); // last: marks the entry complete
            Prune();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The cache is an optimisation: an unwritable cache folder only costs the next run a compilation.
        }
    }

    /// <summary>Binds an entry's files to its key: HMAC-SHA256 under the user's secret.</summary>
    private static byte[] Mac(byte[] secret, string key, CacheEntry meta, byte[] image, byte[]? pdb)
    {
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        void Add(string s)
        {
            mac.AppendData(Encoding.UTF8.GetBytes(s));
            mac.AppendData([0]);
        }
        Add("arrakis-script-cache-entry/1");
        Add(key);
        Add(meta.EntryType);
        Add(meta.EntryMethod);
        foreach (string reference in meta.References) Add(reference);
        Add("dll");
        mac.AppendData(SHA256.HashData(image));
        Add(pdb is null ? "no-pdb" : "pdb");
        if (pdb is not null) mac.AppendData(SHA256.HashData(pdb));
        return mac.GetHashAndReset();
    }

    /// <summary>
    /// The per-user secret, creating the private folder and the secret when <paramref name="create"/>; null when the
    /// folder cannot be made private (then the cache is not used).
    /// </summary>
    private byte[]? Secret(bool create)
    {
        if (_secret is not null) return _secret;
        if (!System.IO.Directory.Exists(Directory))
        {
            if (!create) return null;
            if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(Directory);
            else System.IO.Directory.CreateDirectory(Directory, PrivateFolder);
        }
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(Directory);
            if ((mode & ~PrivateFolder) != 0)
            {
                try { File.SetUnixFileMode(Directory, mode & PrivateFolder); }
                catch (UnauthorizedAccessException)
                {
                    _warn($"the compiled-script cache folder {Directory} can be entered by other users and is not yours to change; the cache is not used.");
                    return null;
                }
            }
        }
        string path = Path.Combine(Directory, SecretFile);
        if (!File.Exists(path))
        {
            if (!create) return null;
            byte[] fresh = RandomNumberGenerator.GetBytes(32);
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
                using var stream = new FileStream(path, options);
                stream.Write(fresh);
                stream.Flush(flushToDisk: true);
            }
            catch (IOException) when (File.Exists(path)) { } // another process created it first: use theirs
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~PrivateFile) != 0) File.SetUnixFileMode(path, PrivateFile);
        byte[] secret = File.ReadAllBytes(path);
        if (secret.Length != 32) return null; // being written by another process, or damaged: no cache this time
        return _secret = secret;
    }

    private void Delete(string key)
    {
        foreach (string ext in new[] { ".json", ".dll", ".pdb" })
        {
            try { File.Delete(Path.Combine(Directory, key + ext)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private void Write(string name, byte[] bytes)
    {
        string target = Path.Combine(Directory, name);
        string temp = target + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
        using (var stream = new FileStream(temp, options)) stream.Write(bytes);
        File.Move(temp, target, overwrite: true);
    }

    private void Prune()
    {
        var entries = new DirectoryInfo(Directory).GetFiles("*.json");
        if (entries.Length <= MaxEntries) return;
        foreach (var old in entries.OrderByDescending(f => f.LastWriteTimeUtc).Skip(MaxEntries))
        {
            Delete(Path.GetFileNameWithoutExtension(old.Name));
        }
    }

    /// <summary>The host part of the key: what the compiled assembly depends on besides the script's own files.</summary>
    public static string HostVersion(IEnumerable<Assembly> referenced, IEnumerable<string> tools, IEnumerable<string> imports)
    {
        var sb = new StringBuilder("arrakis-script-cache/2;").Append(ArrakisVersion.Product).Append(';');
        foreach (string t in tools) sb.Append(t).Append(';');
        foreach (Assembly a in referenced.Distinct().OrderBy(a => a.FullName, StringComparer.Ordinal))
            sb.Append(a.GetName().Name).Append('=').Append(a.ManifestModule.ModuleVersionId).Append(';');
        foreach (string i in imports) sb.Append("using ").Append(i).Append(';');
        return sb.ToString();
    }

    /// <param name="Mac">HMAC-SHA256 (hex) binding the entry's files to its key (see the remarks).</param>
    internal sealed record CacheEntry(string EntryType, string EntryMethod, List<string> References, string? Mac);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(ScriptCache.CacheEntry))]
internal sealed partial class ScriptCacheJson : System.Text.Json.Serialization.JsonSerializerContext;
