using Arrakis.Native;

namespace Arrakis.Tests.Native;

/// <summary>
/// The version check and the missing-symbol refusal: on fake symbol sets, and on the real libraries this build ships
/// (TorchSharp's libLibTorchSharp.so against the bundled libtorch, and against a folder lacking libtorch_cpu.so's symbols).
/// </summary>
public sealed class LibtorchCompatibilityTests : IDisposable
{
    private readonly TempDirectory _dir = new("arrakis-compat");

    public void Dispose() => _dir.Dispose();

    private LibtorchFolder Folder(LibtorchVersion? version) =>
        new(FakeLibtorch.Libraries(Path.Combine(_dir.Path, "lib"), cuda: false), LibtorchSource.Option, version, null);

    private static IReadOnlySet<string> Set(params string[] names) => new HashSet<string>(names);

    [Fact]
    public void SameMajorMinor_Loads_WithoutWarning_AndWithoutReadingSymbols()
    {
        var verdict = LibtorchCompatibility.Check(Folder(new LibtorchVersion(2, 10, 3, "cu128")), LibtorchVersion.TorchSharpBuild,
            () => throw new InvalidOperationException("symbols must not be read"), _ => throw new InvalidOperationException("symbols must not be read"));
        Assert.True(verdict.Compatible);
        Assert.Null(verdict.Warning);
    }

    [Fact]
    public void OtherVersion_EverySymbolExported_Loads_WithAWarningNamingBothVersions()
    {
        var folder = Folder(new LibtorchVersion(2, 11, 0, "cu130"));
        var verdict = LibtorchCompatibility.Check(folder, LibtorchVersion.TorchSharpBuild, () => Set("a", "b", "c"),
            library => Path.GetFileName(library) == "libtorch_cpu.so" ? Set("a", "b") : Set("c", "unrelated"));
        Assert.True(verdict.Compatible);
        Assert.Contains("2.11.0+cu130", verdict.Warning);
        Assert.Contains("2.10", verdict.Warning);
        Assert.Contains("all 3", verdict.Warning);
    }

    [Fact]
    public void OtherVersion_SymbolsMissing_IsRefused_NamingTheSymbolsAndBothVersions()
    {
        var folder = Folder(new LibtorchVersion(2, 12, 0));
        var verdict = LibtorchCompatibility.Check(folder, LibtorchVersion.TorchSharpBuild, () => Set("kept", "_ZN2at4_ops3gone", "_ZN3c105alsoGone"),
            _ => Set("kept"));
        Assert.False(verdict.Compatible);
        Assert.Equal(["_ZN2at4_ops3gone", "_ZN3c105alsoGone"], verdict.Missing);
        string refusal = verdict.Refusal(folder, LibtorchVersion.TorchSharpBuild);
        Assert.Contains("2.12.0", refusal);
        Assert.Contains("2.10", refusal);
        Assert.Contains("_ZN2at4_ops3gone, _ZN3c105alsoGone", refusal);
    }

    [Fact]
    public void UnknownVersion_IsCheckedBySymbols()
    {
        var verdict = LibtorchCompatibility.Check(Folder(null), LibtorchVersion.TorchSharpBuild, () => Set("a"), _ => Set("a"));
        Assert.True(verdict.Compatible);
        Assert.Contains("unknown version", verdict.Warning);
    }

    [Fact]
    public void ManyMissingSymbols_AreListedUpToALimit_WithTheRestCounted()
    {
        var needed = Enumerable.Range(0, 25).Select(i => $"s{i:D2}").ToArray();
        var folder = Folder(new LibtorchVersion(3, 0, 0));
        var verdict = LibtorchCompatibility.Check(folder, LibtorchVersion.TorchSharpBuild, () => Set(needed), _ => Set());
        string refusal = verdict.Refusal(folder, LibtorchVersion.TorchSharpBuild);
        Assert.Contains("lacks 25 symbol(s)", refusal);
        Assert.Contains("s19 and 5 more", refusal);
        Assert.DoesNotContain("s20", refusal);
    }

    [Fact]
    public void RealLibraries_TorchSharpImports1204LibtorchSymbols_AllExportedByTheBundle()
    {
        string app = AppContext.BaseDirectory;
        var imports = ElfDynamicSymbols.Read(Path.Combine(app, TorchNative.LibraryFileName)).Imports;
        Assert.Equal(1204, imports.Count);
        Assert.Contains("_ZN2at4_ops4neg_4callERNS_6TensorE", imports);           // at::_ops::neg_::call
        Assert.DoesNotContain(imports, s => s.StartsWith("memcpy", StringComparison.Ordinal));  // libc's are versioned, not libtorch's

        // The bundle seen as a folder of unknown version: checked by symbols, and every one is there.
        var bundle = new LibtorchFolder(app, LibtorchSource.Option, null, null);
        var verdict = LibtorchCompatibility.Check(bundle, LibtorchVersion.TorchSharpBuild, () => imports, l => ElfDynamicSymbols.Read(l).Exports);
        Assert.True(verdict.Compatible, string.Join(", ", verdict.Missing.Take(5)));
    }

    [Fact]
    public void RealLibraries_FolderWhoseLibtorchCpuIsSomethingElse_IsRefused_NamingMissingOps()
    {
        string app = AppContext.BaseDirectory;
        string lib = Directory.CreateDirectory(Path.Combine(_dir.Path, "broken")).FullName;
        File.CreateSymbolicLink(Path.Combine(lib, "libc10.so"), Path.Combine(app, "libc10.so"));
        File.CreateSymbolicLink(Path.Combine(lib, "libtorch.so"), Path.Combine(app, "libtorch.so"));
        File.CreateSymbolicLink(Path.Combine(lib, "libtorch_cpu.so"), Path.Combine(app, "libc10.so"));  // the ops are gone
        var folder = new LibtorchFolder(lib, LibtorchSource.Environment, new LibtorchVersion(2, 99, 0), null);
        var verdict = LibtorchCompatibility.Check(folder, LibtorchVersion.TorchSharpBuild,
            () => ElfDynamicSymbols.Read(Path.Combine(app, TorchNative.LibraryFileName)).Imports, l => ElfDynamicSymbols.Read(l).Exports);
        Assert.False(verdict.Compatible);
        Assert.Contains("_ZN2at4_ops4neg_4callERNS_6TensorE", verdict.Missing);
        Assert.Contains("2.99.0", verdict.Refusal(folder, LibtorchVersion.TorchSharpBuild));
    }

    [Fact]
    public void ElfReader_RefusesANonElfFile_NamingIt()
    {
        string path = Path.Combine(_dir.Path, "libtorch_cpu.so");
        File.WriteAllText(path, new string('x', 100));
        var e = Assert.Throws<ElfFormatException>(() => ElfDynamicSymbols.Read(path));
        Assert.Contains(path, e.Message);
    }
}
