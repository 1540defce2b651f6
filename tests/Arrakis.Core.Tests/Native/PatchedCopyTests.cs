using Arrakis.Native;

namespace Arrakis.Tests.Native;

/// <summary>How the patched copy of libLibTorchSharp.so is written: atomically, concurrently, with a fallback.</summary>
public sealed class PatchedCopyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("arrakis-native-").FullName;
    private readonly string _natives;
    private readonly string _original;
    private readonly byte[] _patched;

    public PatchedCopyTests()
    {
        // A stand-in native folder: the real library plus symbolic links to its libtorch neighbours.
        _natives = Directory.CreateDirectory(Path.Combine(_root, "natives")).FullName;
        string deployed = AppContext.BaseDirectory;
        _original = Path.Combine(_natives, TorchNative.LibraryFileName);
        File.Copy(Path.Combine(deployed, TorchNative.LibraryFileName), _original);
        foreach (string name in new[] { "libtorch.so", "libtorch_cpu.so", "libc10.so" })
            File.CreateSymbolicLink(Path.Combine(_natives, name), Path.Combine(deployed, name));
        _patched = File.ReadAllBytes(_original);
        ElfVersionPatcher.MarkWeak(_patched, "GLIBCXX_3.4.32", TorchNative.AnchorSymbols, _original);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void WritePatched_PutsTheCopyBesideTheLibtorchLibraries()
    {
        string path = TorchNative.WritePatched(_original, _patched, []);
        Assert.Equal(Path.Combine(_natives, TorchNative.PatchedFileName), path);
        Assert.Equal(_patched, File.ReadAllBytes(path));
        Assert.True(TorchNative.IsPatchOf(File.ReadAllBytes(_original), path));
        Assert.Empty(Directory.GetFiles(_natives, "*.tmp"));
    }

    [Fact]
    public void ConcurrentWriters_LeaveOneCompleteCopyAndNoTempFiles()
    {
        var paths = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8)
            .Select(_ => TorchNative.WritePatched(_original, _patched, [])).Distinct().ToList();
        Assert.Single(paths);
        Assert.Equal(_patched, File.ReadAllBytes(paths[0]));
        Assert.Empty(Directory.GetFiles(_natives, "*.tmp"));
    }

    [Fact]
    public void UnwritableNativeFolder_FallsBackToTheCacheFolderOfLinks()
    {
        // Something that is not a file already holds the name, so the write beside the natives fails.
        Directory.CreateDirectory(Path.Combine(_natives, TorchNative.PatchedFileName));
        string cacheRoot = Path.Combine(_root, "cache");
        string? previous = Environment.GetEnvironmentVariable(TorchNative.CacheFolderVariable);
        Environment.SetEnvironmentVariable(TorchNative.CacheFolderVariable, cacheRoot);
        try
        {
            var log = new List<string>();
            string path = TorchNative.WritePatched(_original, _patched, log);

            Assert.StartsWith(cacheRoot, path);
            Assert.Equal(_patched, File.ReadAllBytes(path));
            string folder = Path.GetDirectoryName(path)!;
            foreach (string name in new[] { "libtorch.so", "libtorch_cpu.so", "libc10.so" })
                Assert.NotNull(new FileInfo(Path.Combine(folder, name)).LinkTarget);
            Assert.Contains(log, line => line.Contains("using the cache folder"));

            // A second run reuses the same folder and links.
            Assert.Equal(path, TorchNative.WritePatched(_original, _patched, []));
        }
        finally
        {
            Environment.SetEnvironmentVariable(TorchNative.CacheFolderVariable, previous);
        }
    }

    [Fact]
    public void IsPatchOf_RejectsACopyThatDiffersAnywhereElse()
    {
        string path = TorchNative.WritePatched(_original, _patched, []);
        byte[] tampered = File.ReadAllBytes(path);
        tampered[tampered.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, tampered);
        Assert.False(TorchNative.IsPatchOf(File.ReadAllBytes(_original), path));
    }
}
