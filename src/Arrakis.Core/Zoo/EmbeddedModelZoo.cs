using System.Reflection;
using System.Security.Cryptography;

namespace Arrakis.Zoo;

/// <summary>
/// The models this project trains itself and ships inside <c>Arrakis.Core.dll</c> (embedded resources), loadable by name
/// with no path and no download — <c>attn-only-1l</c>, <c>attn-only-2l</c> (induction) and <c>gpt2-mini-language</c>
/// (IOI, factual recall, greater-than) — through <see cref="HookedTransformer.FromPretrained"/>: this source is
/// registered in <see cref="Arrakis.ModelZoo"/> from the start. Each model has a model card (<see cref="ModelCard"/>).
/// </summary>
/// <remarks>
/// A model is an Arrakis-native folder (<c>config.json</c> with <c>model_type: arrakis</c>, <c>model.safetensors</c> with
/// TransformerLens names, a word-level <c>tokenizer.json</c> + <c>tokenizer_config.json</c>, <c>README.md</c>). Its
/// files are written once to a cache folder named by their content hash — <c>$ARRAKIS_ZOO_CACHE</c>, else
/// <c>~/.cache/arrakis/zoo</c>, else the temp folder — and loaded from there; <see cref="GetFolder"/> returns it.
/// </remarks>
/// <example><code>
/// using var model = HookedTransformer.FromPretrained("attn-only-2l");   // weights processed as TransformerLens does
/// var tokens = model.ToTokens("bako tesu bako");
/// </code></example>
public sealed class EmbeddedModelZoo : IPretrainedModelSource
{
    /// <summary>The one instance (registered in <see cref="Arrakis.ModelZoo"/>).</summary>
    public static EmbeddedModelZoo Instance { get; } = new();

    private EmbeddedModelZoo()
    {
    }

    /// <inheritdoc />
    IEnumerable<string> IPretrainedModelSource.Names => Names;

    /// <inheritdoc />
    public string? Resolve(string name) => ResolveName(name) is { } key ? GetFolder(key) : null;

    /// <summary>The shipped models' names.</summary>
    public static IReadOnlyList<string> Names { get; } = ListNames();

    /// <summary>Whether <paramref name="name"/> (case-insensitive, optionally prefixed <c>arrakis/</c>) is a shipped model.</summary>
    public static bool Contains(string name) => ResolveName(name) is not null;

    /// <summary>The model card (markdown) of <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the shipped ones.</exception>
    public static string ModelCard(string name) => File.ReadAllText(Path.Combine(GetFolder(name), "README.md"));

    /// <summary>A folder holding the model's files (extracted once per content version).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the shipped ones.</exception>
    public static string GetFolder(string name)
    {
        string key = ResolveName(name) ?? throw new ArgumentException(
            $"'{name}' is not a model in the Arrakis zoo; shipped models: {string.Join(", ", Names)}.", nameof(name));
        lock (Gate)
        {
            if (Extracted.TryGetValue(key, out var cached) && Directory.Exists(cached))
                return cached;
            string folder = Extract(key);
            Extracted[key] = folder;
            return folder;
        }
    }

    private const string ResourcePrefix = "Arrakis.Zoo/";
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, string> Extracted = new(StringComparer.Ordinal);

    private static string? ResolveName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return null;
        string n = name.Trim();
        if (n.StartsWith("arrakis/", StringComparison.OrdinalIgnoreCase))
            n = n["arrakis/".Length..];
        return Names.FirstOrDefault(x => string.Equals(x, n, StringComparison.OrdinalIgnoreCase));
    }

    private static Assembly Assembly => typeof(EmbeddedModelZoo).Assembly;

    /// <summary>Resource names with '/' separators (MSBuild on Windows writes the folder part with '\\').</summary>
    private static IEnumerable<string> Resources => Assembly.GetManifestResourceNames().Select(r => r.Replace('\\', '/'));

    private static IReadOnlyList<string> ListNames() =>
        Resources
            .Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.EndsWith("/config.json", StringComparison.Ordinal))
            .Select(r => r[ResourcePrefix.Length..^"/config.json".Length])
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string Extract(string name)
    {
        string prefix = ResourcePrefix + name + "/";
        var resources = Assembly.GetManifestResourceNames().ToDictionary(r => r.Replace('\\', '/'), r => r, StringComparer.Ordinal);
        var files = resources.Keys.Where(r => r.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var contents = files.ToDictionary(f => f[prefix.Length..], f => Read(resources[f]));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (file, bytes) in contents)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(file));
            sha.AppendData(bytes);
        }
        string version = Convert.ToHexStringLower(sha.GetHashAndReset())[..16];

        Exception? last = null;
        foreach (string root in CacheRoots())
        {
            try
            {
                string target = Path.Combine(root, $"{name}-{version}");
                if (IsComplete(target, contents))
                    return target;
                Directory.CreateDirectory(root);
                string staging = Path.Combine(root, $".{name}-{version}.{Guid.NewGuid():N}.tmp");
                Directory.CreateDirectory(staging);
                foreach (var (file, bytes) in contents)
                    File.WriteAllBytes(Path.Combine(staging, file), bytes);
                try
                {
                    Directory.Move(staging, target);
                }
                catch (IOException) when (IsComplete(target, contents))
                {
                    Directory.Delete(staging, recursive: true);  // another process got there first
                }
                if (IsComplete(target, contents))
                    return target;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                last = ex;
            }
        }
        throw new IOException($"Could not write the zoo model '{name}' to any cache folder ({string.Join(", ", CacheRoots())}).", last);
    }

    private static bool IsComplete(string folder, Dictionary<string, byte[]> contents) =>
        Directory.Exists(folder) && contents.All(kv =>
        {
            var info = new FileInfo(Path.Combine(folder, kv.Key));
            return info.Exists && info.Length == kv.Value.Length;
        });

    private static IEnumerable<string> CacheRoots()
    {
        if (Environment.GetEnvironmentVariable("ARRAKIS_ZOO_CACHE") is { Length: > 0 } env)
            yield return env;
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0)
            yield return Path.Combine(home, ".cache", "arrakis", "zoo");
        yield return Path.Combine(Path.GetTempPath(), "arrakis-zoo");
    }

    private static byte[] Read(string resource)
    {
        using var stream = Assembly.GetManifestResourceStream(resource) ?? throw new InvalidOperationException($"Resource '{resource}' vanished.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
