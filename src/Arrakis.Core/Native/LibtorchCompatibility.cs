namespace Arrakis.Native;

/// <summary>
/// Whether TorchSharp's native library can run on a libtorch folder: the same major.minor as the libtorch it was
/// built for loads; another (or an unknown) version loads with a warning naming both, but only when every symbol
/// <c>libLibTorchSharp.so</c> imports from libtorch is exported by the folder's libraries.
/// </summary>
/// <param name="Compatible">True when the folder may be loaded.</param>
/// <param name="Warning">The version-mismatch warning, or <c>null</c>.</param>
/// <param name="Missing">The imported symbols no library of the folder exports (empty when compatible).</param>
public sealed record LibtorchCompatibility(bool Compatible, string? Warning, IReadOnlyList<string> Missing)
{
    /// <summary>How many missing symbols a refusal lists by name.</summary>
    public const int ListedSymbols = 20;

    /// <summary>Checks <paramref name="folder"/> against what TorchSharp's library imports.</summary>
    /// <param name="folder">The libtorch folder.</param>
    /// <param name="built">The libtorch version TorchSharp's library was built for.</param>
    /// <param name="imports">The symbols TorchSharp's library needs from libtorch (<see cref="ElfDynamicSymbols.Imports"/>); read only on a mismatch.</param>
    /// <param name="exportsOf">The exported symbols of one library file of the folder.</param>
    public static LibtorchCompatibility Check(LibtorchFolder folder, LibtorchVersion built, Func<IReadOnlySet<string>> imports, Func<string, IReadOnlySet<string>> exportsOf)
    {
        if (folder.Version is { } version && version.SameMinor(built))
            return new LibtorchCompatibility(true, null, []);

        var exported = new HashSet<string>(StringComparer.Ordinal);
        foreach (string library in folder.LoadOrder)
            exported.UnionWith(exportsOf(library));
        var needed = imports();
        var missing = needed.Where(s => !exported.Contains(s)).Order(StringComparer.Ordinal).ToList();
        string found = folder.Version is null ? "libtorch of unknown version (no torch/version.py or build-version)" : $"libtorch {folder.Version}";
        if (missing.Count > 0)
            return new LibtorchCompatibility(false, null, missing);
        return new LibtorchCompatibility(true,
            $"{found} at {folder.Path} is not the {built.Major}.{built.Minor} TorchSharp's native library was built for; " +
            $"it exports all {needed.Count} libtorch symbols that library imports, so it is loaded", []);
    }

    /// <summary>The refusal message: both versions and the missing symbols (the first <see cref="ListedSymbols"/> by name).</summary>
    public string Refusal(LibtorchFolder folder, LibtorchVersion built)
    {
        string listed = string.Join(", ", Missing.Take(ListedSymbols));
        string more = Missing.Count > ListedSymbols ? $" and {Missing.Count - ListedSymbols} more" : "";
        return $"libtorch {folder.Version?.ToString() ?? "of unknown version"} at {folder.Path} ({folder.Source}) lacks {Missing.Count} symbol(s) " +
               $"that TorchSharp's native library (built for libtorch {built.Major}.{built.Minor}) imports: {listed}{more}. " +
               $"Use a PyTorch {built.Major}.{built.Minor} install, or a release that still exports them";
    }
}
