using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;

namespace Arrakis.Native;

/// <summary>
/// Makes TorchSharp's native library load on Linux systems whose libstdc++ is older than the one it was
/// built against (Debian 12: GCC 12, newest <c>GLIBCXX_3.4.30</c>; TorchSharp 0.107 needs <c>GLIBCXX_3.4.32</c>
/// for one unused link-time anchor). Call <see cref="Ensure"/> before any TorchSharp use; every assembly that
/// references Arrakis.Core does so from the module initializer the package compiles into it
/// (<c>buildTransitive/ArrakisNativeInit.cs</c>).
/// </summary>
/// <remarks>
/// <para>What <see cref="Ensure"/> does, once per process (thread-safe, idempotent):</para>
/// <list type="number">
/// <item>Finds <c>libLibTorchSharp.so</c> beside the app or TorchSharp.dll (or under <c>runtimes/{rid}/native</c>).</item>
/// <item>Reuses a valid patched copy prepared by an earlier run, if there is one.</item>
/// <item>Otherwise loads the original; if that works (new enough libstdc++), nothing is changed.</item>
/// <item>If the loader reports a missing <c>GLIBCXX_*</c> version whose only bound symbols are known link-time
/// anchors, writes a copy with that requirement marked weak (<see cref="ElfVersionPatcher"/>) through a temp file
/// and an atomic rename — beside the libtorch libraries (the library's RUNPATH is <c>$ORIGIN</c>), or, when that
/// folder is read-only, in a per-user cache folder of symbolic links to them — and loads it.</item>
/// <item>Registers a <see cref="NativeLibrary.SetDllImportResolver"/> for TorchSharp so every
/// <c>[DllImport("LibTorchSharp")]</c> binds to that handle; TorchSharp's own loader then never falls back to
/// copying natives.</item>
/// </list>
/// <para>Other operating systems are left to TorchSharp's own loader.</para>
/// </remarks>
public static class TorchNative
{
    /// <summary>The library name TorchSharp imports.</summary>
    public const string LibraryName = "LibTorchSharp";

    /// <summary>The original file name on Linux.</summary>
    public const string LibraryFileName = "libLibTorchSharp.so";

    /// <summary>The file name of the copy whose missing-version requirements are marked weak.</summary>
    public const string PatchedFileName = "libLibTorchSharp.arrakis-weak.so";

    /// <summary>Environment variable that overrides the fallback cache folder for read-only installs.</summary>
    public const string CacheFolderVariable = "ARRAKIS_NATIVE_CACHE";

    /// <summary>
    /// Symbols that may be bound to a version we mark weak: link-time anchors that nothing calls.
    /// <c>_ZSt21ios_base_library_initv</c> is what GCC 13's <c>&lt;iostream&gt;</c> emits.
    /// </summary>
    public static readonly IReadOnlySet<string> AnchorSymbols = new HashSet<string>(StringComparer.Ordinal) { "_ZSt21ios_base_library_initv" };

    private static readonly Lock Gate = new();
    private static readonly Regex MissingVersion = new(@"version [`'](?<v>GLIBCXX_[0-9.]+)' not found", RegexOptions.CultureInvariant);
    private static readonly Regex MissingLibrary = new(@"(?<lib>lib[^\s:/]+\.so[.0-9]*): cannot open shared object file", RegexOptions.CultureInvariant);
    private static TorchNativeStatus? _status;
    private static TorchNativeLoadException? _failure;
    private static IntPtr _handle;
    private static readonly Dictionary<string, IntPtr> Preloaded = new(StringComparer.Ordinal);

    /// <summary>The outcome of <see cref="Ensure"/>, or <c>null</c> before it ran.</summary>
    public static TorchNativeStatus? Status => _status;

    /// <summary>
    /// Prepares and loads TorchSharp's native library if needed. Safe to call from many threads and many
    /// times; only the first call does work.
    /// </summary>
    /// <exception cref="TorchNativeLoadException">No loadable library could be found or made.</exception>
    public static TorchNativeStatus Ensure()
    {
        if (_status is { } done)
            return done;
        lock (Gate)
        {
            if (_failure is not null)
                throw _failure;
            try
            {
                _status ??= Load();
            }
            catch (TorchNativeLoadException e)
            {
                _failure = e;
                throw;
            }
            return _status;
        }
    }

    private static TorchNativeStatus Load()
    {
        if (!OperatingSystem.IsLinux())
            return new TorchNativeStatus(TorchNativeMode.TorchSharpDefault, null, "not Linux: TorchSharp's own loader is used");

        var tried = new List<string>();
        string original = FindOriginal(tried);
        string folder = Path.GetDirectoryName(original)!;
        var (libtorch, notes, warning) = ChooseLibtorch(original, tried);
        var status = LoadLibTorchSharp(original, folder, tried);
        if (warning is not null)
            Console.Error.WriteLine($"arrakis: warning: {warning}.");
        return status with { Libtorch = libtorch, Warning = warning, Notes = notes };
    }

    /// <summary>
    /// Picks the libtorch (<see cref="LibtorchSelection"/>), checks an external one (<see cref="LibtorchCompatibility"/>)
    /// and loads its libraries by full path, so that <c>libLibTorchSharp.so</c>'s dependencies resolve to them by soname.
    /// </summary>
    private static (LibtorchFolder Libtorch, IReadOnlyList<string> Notes, string? Warning) ChooseLibtorch(string original, List<string> tried)
    {
        var bundle = BundleFolder(original);
        LibtorchSelection selection;
        try
        {
            selection = LibtorchSelection.Choose(LibtorchRequest.FromProcess(), bundle, thorough => PythonTorchLocator.Find(Environment.GetEnvironmentVariable, thorough ? PythonTorchLocator.AskPython : null));
        }
        catch (ArgumentException e)
        {
            throw Failure(tried, e.Message.Split(" (Parameter")[0].TrimEnd('.'), e);
        }
        var notes = selection.Notes.ToList();
        if (selection.External is not { } external)
        {
            if (bundle is null)
                throw Failure(tried, $"this build ships no libtorch ({string.Join("; ", notes)}); pass {LibtorchRequest.Option} DIR or set {LibtorchRequest.Variable} to a PyTorch install's torch/lib");
            return (bundle, notes, null);
        }

        var verdict = LibtorchCompatibility.Check(external, LibtorchVersion.TorchSharpBuild,
            () => ElfDynamicSymbols.Read(original).Imports, library => ElfDynamicSymbols.Read(library).Exports);
        if (!verdict.Compatible)
        {
            string refusal = verdict.Refusal(external, LibtorchVersion.TorchSharpBuild);
            if (external.Source != LibtorchSource.Python || bundle is null)
                throw Failure(tried, refusal);
            notes.Add($"not used: {refusal}");
            return (bundle, notes, null);
        }
        Preload(external, tried);
        return (external, notes, verdict.Warning);
    }

    /// <summary>The folder of the bundled libtorch (beside TorchSharp's library), or <c>null</c> when the app ships without it.</summary>
    private static LibtorchFolder? BundleFolder(string original)
    {
        string folder = Path.GetDirectoryName(original)!;
        return File.Exists(Path.Combine(folder, "libtorch_cpu.so"))
            ? new LibtorchFolder(folder, LibtorchSource.Bundle, LibtorchVersion.TorchSharpBuild, null)
            : null;
    }

    /// <summary>
    /// Loads the folder's libraries in dependency order. A library the loader cannot find (a CUDA runtime library of
    /// a Python install) is looked for in the <c>nvidia/*/lib</c> folders beside <c>torch/lib</c>, loaded, and the load retried.
    /// </summary>
    private static void Preload(LibtorchFolder libtorch, List<string> tried)
    {
        var helpers = PythonTorchLocator.CudaLibraryFolders(libtorch.Path);
        foreach (string library in libtorch.LoadOrder)
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    Preloaded[Path.GetFileName(library)] = NativeLibrary.Load(library);
                    tried.Add($"{library}: loaded");
                    break;
                }
                catch (DllNotFoundException e) when (attempt < 64 && MissingLibrary.Match(e.Message) is { Success: true } m
                                                     && helpers.Select(h => Path.Combine(h, m.Groups["lib"].Value)).FirstOrDefault(File.Exists) is { } helper
                                                     && !Preloaded.ContainsKey(m.Groups["lib"].Value))
                {
                    Preloaded[m.Groups["lib"].Value] = NativeLibrary.Load(helper);
                    tried.Add($"{helper}: loaded for {Path.GetFileName(library)}");
                }
                catch (DllNotFoundException e)
                {
                    tried.Add($"{library}: {e.Message.Trim()}");
                    throw Failure(tried, $"the libtorch library {library} did not load (for a Python install, its CUDA libraries come from the nvidia/*/lib folders beside torch/; LD_LIBRARY_PATH may name them)", e);
                }
            }
        }
    }

    private static TorchNativeStatus LoadLibTorchSharp(string original, string folder, List<string> tried)
    {
        byte[] originalBytes = File.ReadAllBytes(original);

        // 1. A copy prepared by an earlier run (beside the natives, or in the cache folder).
        foreach (string candidate in new[] { Path.Combine(folder, PatchedFileName), Path.Combine(CacheFolderFor(original), PatchedFileName) })
        {
            if (File.Exists(candidate) && IsPatchOf(originalBytes, candidate) && TryLoad(candidate, tried, out _))
                return Bind(TorchNativeMode.Patched, candidate, "reused the patched copy prepared by an earlier run");
        }

        // 2. The original, untouched: works wherever libstdc++ is new enough.
        if (TryLoad(original, tried, out string? error))
            return Bind(TorchNativeMode.Original, original, "the original library loaded; no patch needed");

        // 3. Mark the missing GLIBCXX versions weak, one loader complaint at a time.
        byte[] patched = (byte[])originalBytes.Clone();
        var weakened = new List<string>();
        while (error is not null && MissingVersion.Match(error) is { Success: true } match)
        {
            string version = match.Groups["v"].Value;
            if (weakened.Contains(version))
                break;
            try
            {
                ElfVersionPatcher.MarkWeak(patched, version, AnchorSymbols, original);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or ElfFormatException)
            {
                throw Failure(tried, $"the missing version {version} cannot be made weak safely: {e.Message}", e);
            }
            weakened.Add(version);
            string path = WritePatched(original, patched, tried);
            if (TryLoad(path, tried, out error))
                return Bind(TorchNativeMode.Patched, path, $"marked {string.Join(", ", weakened)} weak in a copy of {original}");
        }
        throw Failure(tried, "the loader's complaint was not a missing GLIBCXX version that can be made weak");
    }

    private static TorchNativeStatus Bind(TorchNativeMode mode, string path, string detail)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            detail += "; a DllImport resolver for TorchSharp was already registered by someone else, so binding relies on the loaded soname";
        }
        return new TorchNativeStatus(mode, path, detail);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name is LibraryName or LibraryFileName ? _handle
        : Preloaded.TryGetValue(name, out var handle) || Preloaded.TryGetValue($"lib{name}.so", out handle) ? handle
        : IntPtr.Zero;

    private static bool TryLoad(string path, List<string> tried, out string? error)
    {
        try
        {
            _handle = NativeLibrary.Load(path);
            tried.Add($"{path}: loaded");
            error = null;
            return true;
        }
        catch (DllNotFoundException e)
        {
            error = e.Message;
            tried.Add($"{path}: {e.Message.Trim()}");
            return false;
        }
    }

    private static string FindOriginal(List<string> tried)
    {
        string rid = RuntimeInformation.RuntimeIdentifier;
        var roots = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "" }
            .Where(r => r.Length > 0).Distinct();
        foreach (string root in roots)
        {
            foreach (string folder in new[] { root, Path.Combine(root, "runtimes", rid, "native"), Path.Combine(root, "runtimes", "linux-x64", "native") })
            {
                string path = Path.Combine(folder, LibraryFileName);
                if (File.Exists(path))
                    return path;
                tried.Add($"{path}: not present");
            }
        }
        throw Failure(tried, $"{LibraryFileName} was not found; the project must reference a TorchSharp bundle (TorchSharp-cpu) and build for a runtime identifier");
    }

    internal static bool IsPatchOf(byte[] originalBytes, string candidate)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(candidate);
            if (bytes.Length != originalBytes.Length)
                return false;
            // A valid copy differs from the original only in weak flags of libstdc++ versions with anchor-only symbols.
            var allowed = ElfVersionPatcher.ReadVersionNeeds(bytes, candidate)
                .Where(n => n.IsWeak && n.Symbols.All(AnchorSymbols.Contains))
                .Select(n => n.FlagsOffset)
                .ToHashSet();
            for (int i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] != originalBytes[i] && !allowed.Contains(i) && !allowed.Contains(i - 1))
                    return false;
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ElfFormatException)
        {
            return false;
        }
    }

    internal static string WritePatched(string original, byte[] patched, List<string> tried)
    {
        string folder = Path.GetDirectoryName(original)!;
        try
        {
            return WriteAtomically(Path.Combine(folder, PatchedFileName), patched);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            tried.Add($"{Path.Combine(folder, PatchedFileName)}: cannot write ({e.Message}); using the cache folder");
        }

        string cache = CacheFolderFor(original);
        try
        {
            Directory.CreateDirectory(cache);
            foreach (string lib in Directory.EnumerateFiles(folder, "*.so*"))
            {
                string name = Path.GetFileName(lib);
                if (name is LibraryFileName or PatchedFileName || name.EndsWith(".tmp", StringComparison.Ordinal))
                    continue;
                LinkInto(cache, name, lib);
            }
            return WriteAtomically(Path.Combine(cache, PatchedFileName), patched);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(tried, $"neither {folder} nor the cache folder {cache} is writable ({e.Message}); set {CacheFolderVariable} to a writable folder", e);
        }
    }

    private static void LinkInto(string cache, string name, string target)
    {
        string link = Path.Combine(cache, name);
        try
        {
            File.CreateSymbolicLink(link, target);
        }
        catch (IOException) when (File.ResolveLinkTarget(link, returnFinalTarget: false)?.FullName == target)
        {
            // Another process made the same link first.
        }
    }

    /// <summary>Writes through a uniquely named temp file in the same folder and renames it into place.</summary>
    private static string WriteAtomically(string path, byte[] bytes)
    {
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
            return path;
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>The per-user cache folder for one original library (keyed by its path, size and time).</summary>
    internal static string CacheFolderFor(string original)
    {
        string root = Environment.GetEnvironmentVariable(CacheFolderVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(
                Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
                "arrakis", "native");
        var info = new FileInfo(original);
        string key = $"{info.FullName}|{(info.Exists ? info.Length : 0)}|{(info.Exists ? info.LastWriteTimeUtc.Ticks : 0)}";
        return Path.Combine(root, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16].ToLowerInvariant());
    }

    private static TorchNativeLoadException Failure(List<string> tried, string why, Exception? inner = null) =>
        new($"TorchSharp's native library could not be loaded: {why}. Tried, in order: {string.Join("; ", tried)}. " +
            "See docs/native-runtime.md for how Arrakis makes libtorch load and how to diagnose it.", inner);
}
