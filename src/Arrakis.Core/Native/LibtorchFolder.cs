namespace Arrakis.Native;

/// <summary>
/// A folder of libtorch shared libraries (<c>libc10.so</c>, <c>libtorch_cpu.so</c>, <c>libtorch.so</c>, with CUDA
/// also <c>libc10_cuda.so</c> and <c>libtorch_cuda.so</c>): the bundle beside the app, a libtorch download's
/// <c>lib</c>, or a Python <c>torch</c> package's <c>torch/lib</c>.
/// </summary>
/// <param name="Path">The folder.</param>
/// <param name="Source">How it was chosen.</param>
/// <param name="Version">Its version, when one of the places <see cref="Inspect"/> reads says it.</param>
/// <param name="CudaVersion">The CUDA version it was built with (<c>torch/version.py</c>'s <c>cuda</c>), or <c>null</c>.</param>
public sealed record LibtorchFolder(string Path, LibtorchSource Source, LibtorchVersion? Version, string? CudaVersion)
{
    /// <summary>The libraries that every libtorch folder has, in load order.</summary>
    public static readonly IReadOnlyList<string> CoreLibraries = ["libc10.so", "libtorch_cpu.so"];

    /// <summary>The CUDA libraries, in load order, loaded when present.</summary>
    public static readonly IReadOnlyList<string> CudaLibraries = ["libc10_cuda.so", "libtorch_cuda.so"];

    /// <summary>True when the folder has <c>libtorch_cuda.so</c>.</summary>
    public bool HasCuda => File.Exists(System.IO.Path.Combine(Path, "libtorch_cuda.so"));

    /// <summary>The libraries present, in the order they must be loaded (dependencies first, <c>libtorch.so</c> last).</summary>
    public IReadOnlyList<string> LoadOrder =>
        CoreLibraries.Concat(CudaLibraries).Append("libtorch.so")
            .Select(name => System.IO.Path.Combine(Path, name)).Where(File.Exists).ToList();

    /// <summary>
    /// Reads a folder's version from, in order: <c>../version.py</c> (a Python <c>torch/lib</c>), <c>build-version</c>
    /// in the folder or its parent (a libtorch download), or a NuGet package path <c>…/libtorch-*/VERSION/runtimes/…</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The folder does not exist or lacks <c>libtorch_cpu.so</c>; the message names it.</exception>
    public static LibtorchFolder Inspect(string path, LibtorchSource source, string argumentName = "libtorch")
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full))
            throw new ArgumentException($"The libtorch folder '{path}' does not exist; expected a folder holding libtorch_cpu.so (a PyTorch install's torch/lib).", argumentName);
        if (!File.Exists(System.IO.Path.Combine(full, "libtorch_cpu.so")))
            throw new ArgumentException($"The libtorch folder '{path}' has no libtorch_cpu.so; expected a PyTorch install's torch/lib or a libtorch download's lib folder.", argumentName);

        string parent = System.IO.Path.GetDirectoryName(full.TrimEnd('/')) ?? full;
        string versionPy = System.IO.Path.Combine(parent, "version.py");
        if (File.Exists(versionPy))
        {
            var (version, cuda) = LibtorchVersion.ParseVersionPy(File.ReadAllText(versionPy));
            if (version is not null)
                return new LibtorchFolder(full, source, version, cuda);
        }
        foreach (string buildVersion in new[] { System.IO.Path.Combine(full, "build-version"), System.IO.Path.Combine(parent, "build-version") })
        {
            if (File.Exists(buildVersion) && LibtorchVersion.TryParse(File.ReadAllText(buildVersion), out var version))
                return new LibtorchFolder(full, source, version, CudaFromLocal(version));
        }
        // NuGet: ~/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native
        string[] parts = full.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 2; i >= 1; i--)
        {
            if (parts[i - 1].StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase) && parts[i + 1] == "runtimes"
                && LibtorchVersion.TryParse(parts[i], out var version))
                return new LibtorchFolder(full, source, version, null);
        }
        return new LibtorchFolder(full, source, null, null);
    }

    private static string? CudaFromLocal(LibtorchVersion version) =>
        version.Local is { Length: > 4 } local && local.StartsWith("cu", StringComparison.Ordinal) && local[2..].All(char.IsAsciiDigit)
            ? $"{local[2..^1]}.{local[^1]}"
            : null;

    /// <inheritdoc/>
    public override string ToString() => $"{Path} ({Source}; libtorch {Version?.ToString() ?? "version unknown"}{(CudaVersion is null ? "" : "; CUDA " + CudaVersion)})";
}
