namespace Arrakis.Scripting;

/// <summary>A compiled script: its assembly image and symbols, ready to run any number of times.</summary>
public sealed class CompiledScript
{
    internal CompiledScript(string path, byte[] image, byte[]? pdb, string entryType, string entryMethod,
        IReadOnlyList<string> directiveReferences, string cacheKey, bool fromCache, TimeSpan compileTime, string source)
    {
        Source = source;
        Path = path;
        Image = image;
        Pdb = pdb;
        EntryType = entryType;
        EntryMethod = entryMethod;
        DirectiveReferences = directiveReferences;
        CacheKey = cacheKey;
        FromCache = fromCache;
        CompileTime = compileTime;
    }

    /// <summary>The script's full path.</summary>
    public string Path { get; }

    /// <summary>The script's text as compiled.</summary>
    public string Source { get; }

    internal byte[] Image { get; }

    /// <summary>Whether the script has executable code (a script of only <c>using</c>s and comments has none).</summary>
    public bool HasCode => Image.Length > 0;

    internal byte[]? Pdb { get; }

    internal string EntryType { get; }

    internal string EntryMethod { get; }

    /// <summary>The assemblies the script references with <c>#r</c> (full paths).</summary>
    public IReadOnlyList<string> DirectiveReferences { get; }

    /// <summary>The compile cache's key: script text, <c>#load</c>ed files, <c>#r</c> assemblies and host version.</summary>
    public string CacheKey { get; }

    /// <summary>Whether the compiled assembly came from the cache (no compilation ran).</summary>
    public bool FromCache { get; }

    /// <summary>Time spent compiling (or reading the cache), including the key computation.</summary>
    public TimeSpan CompileTime { get; }
}
