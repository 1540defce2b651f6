using System.Diagnostics;
using Arrakis.Native;

namespace Arrakis.Tests.Native;

/// <summary>
/// The patcher is tested on a shared object the test compiles itself (g++), checked against binutils' readelf,
/// and on TorchSharp's real library.
/// </summary>
public sealed class ElfVersionPatcherTests : IDisposable
{
    private const string CxxVersion = "GLIBCXX_3.4.21"; // std::__cxx11::basic_string, used by the sample below
    private readonly string _folder = Directory.CreateTempSubdirectory("arrakis-elf-").FullName;
    private readonly string _library;

    public ElfVersionPatcherTests()
    {
        string source = Path.Combine(_folder, "sample.cpp");
        File.WriteAllText(source, """
            #include <string>
            #include <sstream>
            extern "C" int sample_length(int n) { std::ostringstream s; s << std::string(n, 'x'); return (int)s.str().size(); }
            """);
        _library = Path.Combine(_folder, "libsample.so");
        var (code, output) = Run("g++", "-shared", "-fPIC", "-O1", "-o", _library, source);
        Assert.True(code == 0, $"g++ failed: {output}");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ReadVersionNeeds_ListsTheSameEntriesAsReadelf()
    {
        var needs = ElfVersionPatcher.ReadVersionNeeds(File.ReadAllBytes(_library), _library);
        string readelf = Run("readelf", "-V", "-W", _library).Output;
        Assert.NotEmpty(needs);
        foreach (var need in needs)
            Assert.Contains($"Name: {need.Version}", readelf);
        var cxx = Assert.Single(needs, n => n.Version == CxxVersion);
        Assert.Equal("libstdc++.so.6", cxx.Library);
        Assert.False(cxx.IsWeak);
        Assert.NotEmpty(cxx.Symbols);
    }

    [Fact]
    public void MarkWeak_SetsTheWeakFlagOnExactlyTheNamedEntry()
    {
        byte[] original = File.ReadAllBytes(_library);
        byte[] patched = (byte[])original.Clone();

        int changed = ElfVersionPatcher.MarkWeak(patched, CxxVersion, allowedSymbols: null, _library);

        Assert.Equal(1, changed);
        var before = ElfVersionPatcher.ReadVersionNeeds(original);
        var after = ElfVersionPatcher.ReadVersionNeeds(patched);
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            bool target = before[i].Version == CxxVersion;
            Assert.Equal(target ? (ushort)(before[i].Flags | ElfVersionPatcher.WeakFlag) : before[i].Flags, after[i].Flags);
        }

        // Only the flags field of that one entry differs, byte for byte.
        long flagsOffset = before.Single(n => n.Version == CxxVersion).FlagsOffset;
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        Assert.All(differing, i => Assert.InRange(i, flagsOffset, flagsOffset + 1));
        Assert.NotEmpty(differing);

        // binutils agrees.
        string patchedPath = Path.Combine(_folder, "libsample.patched.so");
        File.WriteAllBytes(patchedPath, patched);
        var weakLines = Run("readelf", "-V", "-W", patchedPath).Output.Split('\n').Where(l => l.Contains("Flags: WEAK")).ToList();
        var line = Assert.Single(weakLines);
        Assert.Contains($"Name: {CxxVersion}", line);
    }

    [Fact]
    public void MarkWeak_IsIdempotent()
    {
        byte[] bytes = File.ReadAllBytes(_library);
        Assert.Equal(1, ElfVersionPatcher.MarkWeak(bytes, CxxVersion));
        Assert.Equal(0, ElfVersionPatcher.MarkWeak(bytes, CxxVersion));
    }

    [Fact]
    public void MarkWeak_RefusesWhenRealSymbolsUseTheVersion()
    {
        byte[] bytes = File.ReadAllBytes(_library);
        var e = Assert.Throws<InvalidOperationException>(() => ElfVersionPatcher.MarkWeak(bytes, CxxVersion, TorchNative.AnchorSymbols, _library));
        Assert.Contains(CxxVersion, e.Message);
        Assert.Equal(File.ReadAllBytes(_library), bytes); // untouched
    }

    [Fact]
    public void MarkWeak_RejectsAVersionTheFileDoesNotNeed()
    {
        byte[] bytes = File.ReadAllBytes(_library);
        var e = Assert.Throws<ArgumentException>(() => ElfVersionPatcher.MarkWeak(bytes, "GLIBCXX_99.0", null, _library));
        Assert.Equal("version", e.ParamName);
        Assert.Contains("GLIBCXX_99.0", e.Message);
    }

    [Fact]
    public void NonElfBytes_AreRejectedWithAClearError()
    {
        byte[] text = "This is not a shared object, just text that is long enough to hold a header...."u8.ToArray();
        var e = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.ReadVersionNeeds(text, "notes.txt"));
        Assert.Contains("notes.txt", e.Message);
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void TruncatedFiles_AreRejectedWithAClearError_AtEveryCut()
    {
        byte[] bytes = File.ReadAllBytes(_library);
        var e = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.ReadVersionNeeds(bytes.AsSpan(0, 40).ToArray(), "short.so"));
        Assert.Contains("shorter than an ELF64 header", e.Message);

        // Section headers sit at the end of the file, so every cut below the full length must fail cleanly.
        for (int length = 64; length < bytes.Length; length += Math.Max(1, bytes.Length / 97))
        {
            byte[] cut = bytes.AsSpan(0, length).ToArray();
            Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.ReadVersionNeeds(cut, "cut.so"));
        }
    }

    [Fact]
    public void CorruptedBytes_NeverEscapeAsAnythingButElfFormatException()
    {
        byte[] original = File.ReadAllBytes(_library);
        var random = new Random(7);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            for (int flips = 0; flips < 8; flips++)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            try
            {
                ElfVersionPatcher.ReadVersionNeeds(bytes, "fuzzed.so");
            }
            catch (ElfFormatException)
            {
            }
        }
    }

    [Fact]
    public void TorchSharpsLibrary_NeedsGlibcxx3432_OnlyForTheIostreamAnchor()
    {
        string lib = Path.Combine(AppContext.BaseDirectory, TorchNative.LibraryFileName);
        var need = Assert.Single(ElfVersionPatcher.ReadVersionNeeds(File.ReadAllBytes(lib), lib), n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal(["_ZSt21ios_base_library_initv"], need.Symbols);
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
